"""`validator_config.yaml` of the validator node (validator.md §9, §9.1), read into plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from core import signing
from core.errors import BitsotaError

STICKY_MODES = ("sticky", "sticky_burnsplit", "burnsplit")
REWARD_MODES = ("capacitorless", "capacitorless_sticky")
BLACKLIST_OFF = 9999999999999999.0


class ConfigError(BitsotaError, ValueError):
    """A config problem, reported as one line with exit status 2."""


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name)
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class CapacitorlessConfig:
    burn_hotkey: str
    mode: str = "sticky_burnsplit"
    burn_share: float = 0.9
    winner_share: float = 0.1
    winner_source: str = "relay"
    min_winner_improvement: float = 0.0
    apply_weights_inline: bool = True
    alignment_mod: int = 360
    events_limit: int = 50
    event_refresh_interval_s: float = 60.0
    metagraph_refresh_interval_s: float = 600.0
    poll_interval_s: float = 6.0
    retry_interval_s: float = 5.0
    submit_sota_votes: bool = True

    @property
    def sticky(self) -> bool:
        return self.mode in STICKY_MODES

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, force_sticky: bool = False) -> CapacitorlessConfig:
        burn_hotkey = str(data.get("burn_hotkey") or "").strip()
        if not burn_hotkey:
            raise ConfigError("capacitorless.burn_hotkey is required")
        burn_share = float(data.get("burn_share", 0.9))
        winner_share = float(data.get("winner_share", 1.0 - burn_share))
        if burn_share < 0 or winner_share < 0 or burn_share + winner_share <= 0:
            raise ConfigError("capacitorless.burn_share and winner_share must be >= 0 with a positive sum")
        total = burn_share + winner_share
        winner_source = str(data.get("winner_source", "relay")).strip().lower()
        if winner_source not in ("relay", "local"):
            raise ConfigError(f"capacitorless.winner_source must be relay or local, not {winner_source}")
        defaults = cls(burn_hotkey="")
        return cls(
            burn_hotkey=burn_hotkey,
            mode="sticky" if force_sticky else str(data.get("mode", defaults.mode)).strip().lower(),
            burn_share=burn_share / total,
            winner_share=winner_share / total,
            winner_source=winner_source,
            min_winner_improvement=max(0.0, float(data.get("min_winner_improvement", 0.0))),
            apply_weights_inline=bool(data.get("apply_weights_inline", True)),
            alignment_mod=max(1, int(data.get("alignment_mod", defaults.alignment_mod))),
            events_limit=int(data.get("events_limit", defaults.events_limit)),
            event_refresh_interval_s=float(data.get("event_refresh_interval_s", defaults.event_refresh_interval_s)),
            metagraph_refresh_interval_s=float(data.get("metagraph_refresh_interval_s", defaults.metagraph_refresh_interval_s)),
            poll_interval_s=float(data.get("poll_interval_s", defaults.poll_interval_s)),
            retry_interval_s=float(data.get("retry_interval_s", defaults.retry_interval_s)),
            submit_sota_votes=bool(data.get("submit_sota_votes", True)),
        )


SCHEDULE_MODES = ("immediate", "interval", "utc_times")
THRESHOLD_MODES = ("sota_only", "local_best")


def _utc_time(value: Any) -> tuple[int, int]:
    """An "HH:MM" UTC time of day as (hour, minute)."""
    if not isinstance(value, str):
        # unquoted 12:00 is the YAML 1.1 base-60 integer 720
        raise ConfigError(f'submission_schedule.utc_times entries must be quoted "HH:MM" strings, not {value!r}')
    hour, colon, minute = value.strip().partition(":")
    if not (colon and hour.isdigit() and len(minute) == 2 and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ConfigError(f'submission_schedule.utc_times entry {value!r} is not an "HH:MM" time')
    return int(hour), int(minute)


@dataclass(frozen=True)
class SubmissionConfig:
    """The optional vote gates (validator.md §9): `submission_schedule` and `submission_threshold`."""

    schedule: str = "immediate"
    interval_s: float = 0.0
    utc_times: tuple[tuple[int, int], ...] = ()
    local_best: bool = False

    @classmethod
    def from_mapping(cls, schedule: Mapping[str, Any], threshold: Mapping[str, Any]) -> SubmissionConfig:
        mode = str(schedule.get("mode", "immediate")).strip().lower()
        if mode not in SCHEDULE_MODES:
            raise ConfigError(f"submission_schedule.mode must be immediate, interval or utc_times, not {mode}")
        interval_s = float(schedule.get("interval_seconds", 0))
        if mode == "interval" and not interval_s > 0:
            raise ConfigError("submission_schedule.interval_seconds must be > 0 in interval mode")
        times = schedule.get("utc_times") or []
        if not isinstance(times, list):
            raise ConfigError('submission_schedule.utc_times must be a list of "HH:MM" strings')
        utc_times = tuple(sorted({_utc_time(value) for value in times}))
        if mode == "utc_times" and not utc_times:
            raise ConfigError('submission_schedule.utc_times must list at least one "HH:MM" time in utc_times mode')
        threshold_mode = str(threshold.get("mode", "sota_only")).strip().lower()
        if threshold_mode not in THRESHOLD_MODES:
            raise ConfigError(f"submission_threshold.mode must be sota_only or local_best, not {threshold_mode}")
        return cls(schedule=mode, interval_s=interval_s, utc_times=utc_times, local_best=threshold_mode == "local_best")


@dataclass(frozen=True)
class NodeConfig:
    wallet_name: str
    wallet_hotkey: str
    capacitorless: CapacitorlessConfig
    netuid: int = 94
    network: str = "finney"
    path: str = signing.DEFAULT_WALLET_PATH
    epoch_length: int = 0
    relay_url: str = "http://127.0.0.1:8002"
    relay_poll_interval_s: float = 60.0
    blacklist_cutoff: float = BLACKLIST_OFF
    default_threshold: float = 0.0
    wait_for_inclusion: bool = False
    wait_for_finalization: bool = False
    submission: SubmissionConfig = SubmissionConfig()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> NodeConfig:
        reward_mode = str(data.get("reward_mode", "capacitorless")).strip().lower()
        if reward_mode == "capacitor":
            raise ConfigError("reward_mode capacitor (the legacy EVM path) is not implemented; use capacitorless")
        if reward_mode not in REWARD_MODES:
            raise ConfigError(f"unknown reward_mode: {reward_mode}")
        for key in ("wallet_name", "wallet_hotkey"):
            if not data.get(key):
                raise ConfigError(f"{key} is required")
        relay, weights = _section(data, "relay"), _section(data, "weights")
        cutoff = _section(data, "blacklist").get("cutoff_percentage")
        return cls(
            wallet_name=str(data["wallet_name"]),
            wallet_hotkey=str(data["wallet_hotkey"]),
            capacitorless=CapacitorlessConfig.from_mapping(_section(data, "capacitorless"),
                                                           force_sticky=reward_mode == "capacitorless_sticky"),
            netuid=int(data.get("netuid", 94)),
            network=str(data.get("network", "finney")),
            path=str(data.get("path") or signing.DEFAULT_WALLET_PATH),
            epoch_length=int(data.get("epoch_length", 0)),
            relay_url=str(relay.get("url", cls.relay_url)),
            relay_poll_interval_s=float(relay.get("poll_interval_seconds", 60)),
            blacklist_cutoff=BLACKLIST_OFF if cutoff is None else float(cutoff),
            default_threshold=float(_section(data, "sota").get("default_threshold", 0.0)),
            wait_for_inclusion=bool(weights.get("wait_for_inclusion", False)),
            wait_for_finalization=bool(weights.get("wait_for_finalization", False)),
            submission=SubmissionConfig.from_mapping(_section(data, "submission_schedule"),
                                                     _section(data, "submission_threshold")),
        )


def load_config(path: str | Path) -> NodeConfig:
    """Read the YAML file (PyYAML arrives with the `chain` extra) into a NodeConfig."""
    import yaml

    file = Path(path).expanduser()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {file}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML in {file}: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"config {file} does not hold a mapping")
    try:
        return NodeConfig.from_mapping(data)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"bad value in {file}: {exc}") from exc
