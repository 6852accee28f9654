"""What every service's settings reader shares: one error, one set of true/false words, database URLs.

Each service reads its own variables (relay.settings, pool.settings, sidecar.config) with these pieces, so a
flag means the same words everywhere and a database URL is accepted in the same forms everywhere.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.errors import BitsotaError

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg")
SQLITE_SCHEMES = ("sqlite", "sqlite+aiosqlite")


class SettingsError(BitsotaError, ValueError):
    """An invalid setting; the message names the variable (or flag) and what was wrong."""


def is_true(raw: str | None) -> bool:
    """True for one of TRUE_WORDS (any case, surrounding blanks ignored); False for anything else."""
    return (raw or "").strip().lower() in TRUE_WORDS


def parse_flag(name: str, raw: str | None, default: bool) -> bool:
    """A true/false setting: blank or unset gives `default`; a word outside both sets is a SettingsError."""
    word = (raw or "").strip().lower()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    words = "/".join(sorted(TRUE_WORDS)) + " or " + "/".join(sorted(FALSE_WORDS))
    raise SettingsError(f"{name} must be one of {words}, got {raw!r}")


def normalize_database_url(url: str, name: str = "DATABASE_URL") -> str:
    """The async SQLAlchemy URL for the accepted forms: `sqlite:///p` (a relative path is resolved against the
    working directory) and `sqlite+aiosqlite:///p`; `postgres(ql)://`, `postgresql+psycopg2://` and
    `postgresql+asyncpg://` (a `sslmode=` parameter becomes asyncpg's `ssl=`). Anything else is a SettingsError
    that names `name` (never the URL, which may hold a password)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(f"unsupported {name} scheme: {url.split(':', 1)[0]}")
    scheme = scheme.lower()
    if scheme in SQLITE_SCHEMES:
        normalized = "sqlite+aiosqlite://" + _absolute_sqlite_path(rest)
    elif scheme in POSTGRES_SCHEMES:
        normalized = _asyncpg_url("postgresql+asyncpg://" + rest)
    else:
        raise SettingsError(f"unsupported {name} scheme: {scheme}")
    try:
        make_url(normalized)
    except (ArgumentError, ValueError) as exc:  # a bad port, say
        raise SettingsError(f"invalid database URL: {exc}") from None
    return normalized


def _absolute_sqlite_path(rest: str) -> str:
    path = rest[1:] if rest.startswith("/") else rest  # sqlite:///x.db -> "x.db"; sqlite:////abs -> "/abs"
    if path in ("", ":memory:"):
        return "/" + path
    return "/" + str(Path(path).expanduser().resolve())


def _asyncpg_url(url: str) -> str:
    parts = urlsplit(url)
    query = [("ssl" if key == "sslmode" else key, value) for key, value in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparsable database URL>"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")
