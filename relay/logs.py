"""The relay's log: one line per event on stderr and, unless RELAY_LOG_FILE is empty, in a rotating file
(default `~/.bitsota/logs/relay.log`, whatever directory the relay was started in)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from relay.settings import Settings

LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
log = logging.getLogger("relay")


def configure_logging(settings: Settings) -> None:
    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if settings.log_file:
        Path(settings.log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                settings.log_file, maxBytes=settings.log_max_bytes, backupCount=settings.log_backup_count
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(settings.log_level)
    log.propagate = False
