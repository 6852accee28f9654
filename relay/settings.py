"""Relay settings: every environment variable of the relay is read and validated here, once."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.infra.settings import SettingsError, is_true, masked_url, normalize_database_url

log = logging.getLogger("relay")
__all__ = ["Settings", "SettingsError", "load_settings", "masked_url", "normalize_database_url"]
MIN_ADMIN_TOKEN_CHARS = 16
DEFAULT_LOG_FILE = str(Path("~/.bitsota/logs/relay.log").expanduser())
REFERENCE_VALIDATORS = (
    "5Ef5EsPQoMVmJ8rYectQ26BEvscvATEGm365bcQjo1Y6bxGr",
    "5FCFAQuCwnNN5VR9mo2sjfE9aAhz5YWaimv8VNxypiJwdYjX",
    "5F2SaUVxK3mb2WnzZiEaHLA3CssR9ATXfPfdkWzcfgaR9s94",
    "5C7eJLN6Wk1rh9oQoUmX4AZrFm9BWU6tRRserToeJ7fPsn94",
    "5C5ebCrgSFgKjAMaRkqZFpsgXmucnxkJZntsEugT5S3uDnzL",
    "5FWZX4iGnGPMPeGwyPCn7bQX5qN8BLcyXERzmqY3n7c6GGKc",
)
CORS_ORIGINS = tuple(
    f"https://{www}bitsota.{tld}" for tld in ("com", "ai", "io", "xyz") for www in ("", "www.")
) + ("http://localhost:3000",)
PACKAGED_VERSION_FILE = Path(__file__).with_name("version.json")
FALLBACK_TEST_DB = "sqlite+aiosqlite:///./bitsota_relay_test.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    admin_token: str = ""
    test_mode: bool = False
    test_invite_code: str = "TESTTEST1"
    consensus_votes: int = 2
    alignment_mod: int = 100
    t2_blocks: int = 1000
    t2_intervals: int | None = None
    min_t2_intervals: int = 2
    activation_delay_intervals: int = 1
    default_sota_threshold: float = 0.0
    blacklist_consensus: int = 2
    uid0_hotkey: str = ""
    netuid: int = 94
    network: str = "finney"
    auth_sync_timeout_s: float = 30.0
    auth_sync_interval_s: float = 600.0
    auth_stale_max_s: float = 3600.0
    min_validator_stake: float = 50000.0
    validator_allowlist: tuple[str, ...] = REFERENCE_VALIDATORS
    allowlist_mode: str = "metagraph"
    max_clock_skew_s: float = 300.0
    max_submissions_per_hour: int = 0
    results_max_limit: int = 1000
    max_body_bytes: int = 1048576
    max_result_bytes: int = 65536
    results_max_bytes: int = 8 * 1048576
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    version_file: Path = PACKAGED_VERSION_FILE
    cors_origins: tuple[str, ...] = CORS_ORIGINS
    sqlite_busy_timeout_ms: int = 5000
    dashboard_username: str = "admin"
    dashboard_password: str = ""
    dashboard_refresh_s: int = 5
    log_level: str = "INFO"
    log_file: str = DEFAULT_LOG_FILE
    log_max_bytes: int = 10485760
    log_backup_count: int = 5
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class _Env:
    """Typed reads from an environment mapping; a parse failure names the variable."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def text(self, name: str, default: str = "") -> str:
        return self.env.get(name, default)

    def nonblank(self, name: str, default: str) -> str:
        value = self.env.get(name, "").strip()
        return value or default

    def number(self, name: str, default: float | None, kind: type = int, minimum: float | None = None):
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise SettingsError(f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
        if kind is float and value != value:
            raise SettingsError(f"{name} must be a number, got {raw!r}")
        if minimum is not None and value < minimum:
            raise SettingsError(f"{name} must be >= {minimum:g}, got {raw!r}")
        return value

    def csv(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        if name not in self.env:
            return default
        return tuple(item.strip() for item in self.env[name].split(",") if item.strip())


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default os.environ); raises SettingsError naming the bad variable."""
    e = _Env(os.environ if env is None else env)
    warnings: list[str] = []
    test_mode = is_true(e.text("BITSOTA_TEST_MODE"))
    admin_token = e.text("ADMIN_AUTH_TOKEN") or ("dev" if test_mode else "")
    if not admin_token:
        raise SettingsError("ADMIN_AUTH_TOKEN is required (or use --test)")
    if not test_mode and len(admin_token.strip()) < MIN_ADMIN_TOKEN_CHARS:
        raise SettingsError(f"ADMIN_AUTH_TOKEN must be at least {MIN_ADMIN_TOKEN_CHARS} characters "
                            "(not counting surrounding blanks) outside test mode")
    raw_url = e.text("DATABASE_URL")
    if not raw_url:
        raw_url = default_test_database_url() if test_mode else "sqlite+aiosqlite:///./bitsota_relay.db"
        if not test_mode:
            warnings.append(f"DATABASE_URL is not set; using {raw_url}")
    intervals = e.number("SOTA_T2_INTERVALS", None)
    blacklist = e.number("CONCENSUS_BLACKLIST", 2, minimum=1)
    if e.text("CONSENSUS_BLACKLIST").strip():
        alias = e.number("CONSENSUS_BLACKLIST", 2, minimum=1)
        if "CONCENSUS_BLACKLIST" in e.env and alias != blacklist:
            warnings.append(f"CONSENSUS_BLACKLIST={alias} overrides CONCENSUS_BLACKLIST={blacklist}")
        blacklist = alias
    mode = e.nonblank("RELAY_ALLOWLIST_MODE", "metagraph").lower()
    if mode not in ("metagraph", "static"):
        raise SettingsError(f"RELAY_ALLOWLIST_MODE must be metagraph or static, got {mode!r}")
    level = (e.text("RELAY_LOG_LEVEL") or e.text("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise SettingsError(f"RELAY_LOG_LEVEL must be a logging level name, got {level!r}")
    return Settings(
        database_url=normalize_database_url(raw_url),
        admin_token=admin_token,
        test_mode=test_mode,
        test_invite_code=e.text("BITSOTA_TEST_INVITE_CODE") or "TESTTEST1",
        consensus_votes=e.number("SOTA_CONSENSUS_VOTES", 2, minimum=1),
        alignment_mod=e.number("SOTA_ALIGNMENT_MOD", 100, minimum=1),
        t2_blocks=e.number("SOTA_T2_BLOCKS", 1000, minimum=1 if intervals is None else None),
        t2_intervals=intervals,
        min_t2_intervals=e.number("SOTA_MIN_T2_INTERVALS", 2),
        activation_delay_intervals=max(0, e.number("SOTA_ACTIVATION_DELAY_INTERVALS", 1)),
        default_sota_threshold=e.number("DEFAULT_SOTA_THRESHOLD", 0.0, kind=float),
        blacklist_consensus=blacklist,
        uid0_hotkey=e.text("RELAY_UID0_HOTKEY").strip(),
        netuid=e.number("RELAY_NETUID", 94),
        network=e.nonblank("RELAY_NETWORK", "finney"),
        auth_sync_timeout_s=e.number("RELAY_AUTH_SYNC_TIMEOUT_SEC", 30.0, kind=float),
        auth_sync_interval_s=e.number("RELAY_AUTH_SYNC_INTERVAL_S", 600.0, kind=float),
        auth_stale_max_s=e.number("RELAY_AUTH_STALE_MAX_S", 3600.0, kind=float),
        min_validator_stake=e.number("RELAY_MIN_VALIDATOR_STAKE", 50000.0, kind=float),
        validator_allowlist=e.csv("RELAY_VALIDATOR_ALLOWLIST", REFERENCE_VALIDATORS),
        allowlist_mode=mode,
        max_clock_skew_s=e.number("RELAY_MAX_CLOCK_SKEW_S", 300.0, kind=float),
        max_submissions_per_hour=e.number("RELAY_MAX_SUBMISSIONS_PER_HOUR", 0),
        results_max_limit=e.number("RELAY_RESULTS_MAX_LIMIT", 1000, minimum=1),
        max_body_bytes=e.number("RELAY_MAX_BODY_BYTES", 1048576, minimum=1),
        max_result_bytes=e.number("RELAY_MAX_RESULT_BYTES", 65536, minimum=1),
        results_max_bytes=e.number("RELAY_RESULTS_MAX_BYTES", 8 * 1048576, minimum=1),
        header_timeout_s=e.number("RELAY_HEADER_TIMEOUT_S", 10.0, kind=float, minimum=0.1),
        body_timeout_s=e.number("RELAY_BODY_TIMEOUT_S", 30.0, kind=float, minimum=0.1),
        version_file=Path(e.text("RELAY_VERSION_FILE") or PACKAGED_VERSION_FILE),
        cors_origins=e.csv("RELAY_CORS_ORIGINS", CORS_ORIGINS),
        sqlite_busy_timeout_ms=e.number("RELAY_SQLITE_BUSY_TIMEOUT_MS", 5000, minimum=0),
        dashboard_username=e.nonblank("ADMIN_DASHBOARD_USERNAME", "admin"),
        dashboard_password=e.nonblank("ADMIN_DASHBOARD_PASSWORD", admin_token),
        dashboard_refresh_s=max(1, e.number("ADMIN_DASHBOARD_REFRESH_SECONDS", 5)),
        log_level=level,
        log_file=_log_file(e.text("RELAY_LOG_FILE", DEFAULT_LOG_FILE)),
        log_max_bytes=e.number("RELAY_LOG_MAX_BYTES", 10485760, minimum=1),
        log_backup_count=e.number("RELAY_LOG_BACKUP_COUNT", 5, minimum=0),
        warnings=tuple(warnings),
    )


def _log_file(raw: str) -> str:
    """The rotating log file (`~` expanded); an empty value turns file logging off."""
    return str(Path(raw).expanduser()) if raw else ""


def user_id() -> str:
    """The `<id>` of the per-user test database name (§2.5)."""
    getuid = getattr(os, "getuid", None)
    raw = str(getuid()) if getuid else (os.environ.get("USER") or os.environ.get("USERNAME") or "user")
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", raw).strip("._-")
    return cleaned or "user"


def test_database_candidates() -> list[Path]:
    uid = user_id()
    return [
        Path(tempfile.gettempdir()) / f"bitsota_relay_test_{uid}.db",
        Path.home() / ".bitsota" / f"relay_test_{uid}.db",
        Path("bitsota_relay_test.db").resolve(),
    ]


def _usable(path: Path) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    if path.exists():
        return os.access(path, os.W_OK)
    return os.access(path.parent, os.W_OK)


def default_test_database_url() -> str:
    """The first writable per-user candidate (§2.5), else the working-directory fallback."""
    for candidate in test_database_candidates():
        if _usable(candidate):
            return f"sqlite+aiosqlite:///{candidate}"
    return FALLBACK_TEST_DB
