"""Pool settings (pool.md §1.1, §3.1): every flag and environment variable is read once into PoolSettings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from core.infra.settings import SettingsError, masked_url, normalize_database_url, parse_flag
from core.tasks import UnknownTaskType, normalize_task_type

DEFAULT_DATA_DIR = "~/.bitsota/pool"
__all__ = ["PoolSettings", "SettingsError", "load_settings", "masked_url", "normalize_database_url"]


@dataclass(frozen=True)
class PoolSettings:
    database_url: str = "sqlite+aiosqlite:///" + str(Path(DEFAULT_DATA_DIR).expanduser() / "pool.db")
    data_dir: Path = Path(DEFAULT_DATA_DIR).expanduser()
    host: str = "127.0.0.1"
    port: int = 8434
    task_types: tuple[str, ...] = ("cifar10_binary",)
    window_seconds: float = 3600.0
    dev: bool = False
    relay_url: str | None = None
    wallet_name: str | None = None
    wallet_hotkey: str | None = None
    wallet_path: str | None = None
    log_level: str = "info"
    max_clock_skew_s: float = 300.0
    max_body_bytes: int = 1_048_576
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    monitor_token: str = ""
    consensus_k: int = 3
    max_evaluators: int = 7
    tolerance_ratio: float = 0.10
    tolerance_abs: float = 1e-6
    seeds_per_evolve: int = 2
    seed_pool_size: int = 16
    evolve_generations: int = 5
    eval_batch_size: int = 4
    max_pending: int = 200
    task_timeout_s: float = 1800.0
    lease_timeout_s: float = 900.0
    lease_evolve_budget: int = 1
    enforce_lease_window: bool = False
    lease_min_iterations: int = 0
    evaluator_weight: float = 1.0
    evolver_weight: float = 1.0
    sota_bonus: float = 5.0
    window_budget_rao: int = 1_000_000_000
    fee: float = 0.05
    min_reward_activity: int = 1
    max_share: float = 0.0
    online_window_s: float = 120.0
    relay_task_type: str = "cifar10_binary"
    relay_interval_s: float = 30.0
    relay_verify: bool = True
    random_seed: int | None = None
    sweep_interval_s: float = 5.0
    genesis_input_dim: int = 16
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.task_types:
            raise SettingsError("POOL_TASK_TYPES must name at least one problem")
        try:
            object.__setattr__(self, "task_types", tuple(normalize_task_type(t) for t in self.task_types))
        except UnknownTaskType as exc:
            raise SettingsError(f"POOL_TASK_TYPES: {exc}") from None
        if self.consensus_k < 1 or (self.consensus_k < 3 and not self.dev):
            raise SettingsError("POOL_CONSENSUS_K must be >= 3 (1-2 only with --dev)")
        if self.max_evaluators < self.consensus_k:
            raise SettingsError("POOL_MAX_EVALUATORS must be >= POOL_CONSENSUS_K")
        if self.window_seconds <= 0:
            raise SettingsError("POOL_WINDOW_SECONDS must be > 0")
        if self.relay_url and urlsplit(self.relay_url).scheme not in ("http", "https"):
            raise SettingsError(f"POOL_RELAY_URL (--relay-url) must be an http(s) URL, got {self.relay_url!r}")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"the port (--port, API_PORT or POOL_PORT) must be 0-65535, got {self.port}")
        if not 0 <= self.fee < 1:
            raise SettingsError("POOL_FEE must be in [0, 1)")
        if self.max_body_bytes < 1 or self.header_timeout_s <= 0 or self.body_timeout_s <= 0:
            raise SettingsError("POOL_MAX_BODY_BYTES, POOL_HEADER_TIMEOUT_S and POOL_BODY_TIMEOUT_S must be > 0")
        if self.lease_evolve_budget not in (0, 1):
            raise SettingsError("POOL_LEASE_EVOLVE_BUDGET must be 0 or 1")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class _Env:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def text(self, *names: str) -> str | None:
        for name in names:
            value = self.env.get(name, "").strip()
            if value:
                return value
        return None

    def number(self, name: str, kind: type = float):
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return kind(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, got {raw!r}") from None

    def flag(self, name: str) -> bool | None:
        raw = self.text(name)
        return None if raw is None else parse_flag(name, raw, False)


# Environment variable → (field, type) for the tunables of §3.1.
_NUMERIC_ENV = {
    "POOL_CONSENSUS_K": ("consensus_k", int), "POOL_MAX_EVALUATORS": ("max_evaluators", int),
    "POOL_TOLERANCE_RATIO": ("tolerance_ratio", float), "POOL_TOLERANCE_ABS": ("tolerance_abs", float),
    "POOL_SEEDS_PER_EVOLVE": ("seeds_per_evolve", int), "POOL_SEED_POOL_SIZE": ("seed_pool_size", int),
    "POOL_EVOLVE_GENERATIONS": ("evolve_generations", int), "POOL_EVAL_BATCH_SIZE": ("eval_batch_size", int),
    "POOL_MAX_PENDING": ("max_pending", int), "POOL_TASK_TIMEOUT_S": ("task_timeout_s", float),
    "POOL_LEASE_TIMEOUT_S": ("lease_timeout_s", float), "POOL_LEASE_EVOLVE_BUDGET": ("lease_evolve_budget", int),
    "LEASE_MIN_ITERATIONS": ("lease_min_iterations", int), "POOL_EVALUATOR_WEIGHT": ("evaluator_weight", float),
    "POOL_EVOLVER_WEIGHT": ("evolver_weight", float), "POOL_SOTA_BONUS": ("sota_bonus", float),
    "POOL_WINDOW_BUDGET_RAO": ("window_budget_rao", int), "POOL_FEE": ("fee", float),
    "POOL_MIN_REWARD_ACTIVITY": ("min_reward_activity", int), "POOL_MAX_SHARE": ("max_share", float),
    "POOL_ONLINE_WINDOW_S": ("online_window_s", float), "POOL_RELAY_INTERVAL_S": ("relay_interval_s", float),
    "POOL_RANDOM_SEED": ("random_seed", int), "POOL_MAX_BODY_BYTES": ("max_body_bytes", int),
    "POOL_HEADER_TIMEOUT_S": ("header_timeout_s", float), "POOL_BODY_TIMEOUT_S": ("body_timeout_s", float),
    "POOL_WINDOW_SECONDS": ("window_seconds", float),
}


def _postgres_url_from_parts(env: _Env) -> str | None:
    host = env.text("POSTGRES_HOST")
    if host is None:
        return None
    user = env.text("POSTGRES_USER") or "pooler"
    password = env.text("POSTGRES_PASSWORD") or ""
    port = env.text("POSTGRES_PORT") or "5432"
    database = env.text("POSTGRES_DB") or "mining_pool"
    credentials = f"{user}:{password}" if password else user
    return f"postgresql+asyncpg://{credentials}@{host}:{port}/{database}"


def load_settings(env: Mapping[str, str] | None = None, **flags) -> PoolSettings:
    """Settings from the environment; `flags` (CLI values, None = not given) take precedence."""
    reader = _Env(os.environ if env is None else env)
    values: dict = {}
    for name, (field_name, kind) in _NUMERIC_ENV.items():
        value = reader.number(name, kind)
        if value is not None:
            values[field_name] = value
    skew = reader.number("POOL_MAX_CLOCK_SKEW_S") or reader.number("RELAY_MAX_CLOCK_SKEW_S")
    if skew is not None:
        values["max_clock_skew_s"] = skew
    texts = {
        "host": reader.text("POOL_HOST"), "port": reader.number("API_PORT", int) or reader.number("POOL_PORT", int),
        "relay_url": reader.text("POOL_RELAY_URL"), "monitor_token": reader.text("MONITOR_TOKEN"),
        "wallet_name": reader.text("POOL_WALLET_NAME"), "wallet_hotkey": reader.text("POOL_WALLET_HOTKEY"),
        "wallet_path": reader.text("POOL_WALLET_PATH"), "log_level": reader.text("POOL_LOG_LEVEL"),
        "relay_task_type": reader.text("POOL_RELAY_TASK_TYPE"),
        "enforce_lease_window": reader.flag("POOL_ENFORCE_LEASE_WINDOW"), "relay_verify": reader.flag("POOL_RELAY_VERIFY"),
    }
    values.update({key: value for key, value in texts.items() if value is not None})
    task_types = reader.text("POOL_TASK_TYPES")
    if task_types:
        values["task_types"] = tuple(t for t in task_types.split(",") if t.strip())
    values["dev"] = (reader.text("ENVIRONMENT") or "").lower() == "development"
    values.update({key: value for key, value in flags.items() if value is not None and key != "database_url"})
    if "task_types" in flags and isinstance(flags["task_types"], str):
        values["task_types"] = tuple(t for t in flags["task_types"].split(",") if t.strip())
    data_dir = Path(values.pop("data_dir", None) or reader.text("BITSOTA_POOL_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()
    raw_url = flags.get("database_url") or reader.text("DATABASE_URL") or _postgres_url_from_parts(reader)
    database_url = normalize_database_url(raw_url) if raw_url else f"sqlite+aiosqlite:///{data_dir / 'pool.db'}"
    return PoolSettings(database_url=database_url, data_dir=data_dir, **values)
