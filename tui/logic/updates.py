"""The update check (tui.md §1, §11.1): is the version a manifest announces newer than ours?

Manifests have the relay's `/version.json` format (relay.md §5.1): `version`, `versionCode`, `desc` and download
URLs `mac`, `linux`, `windows`.
"""

from __future__ import annotations

import re
import sys

import httpx

CHECK_INTERVAL_S = 24 * 3600
PLATFORM_KEYS = {"darwin": "mac", "win32": "windows"}


def version_key(text: str) -> tuple[int, ...]:
    """`1.10.2` → (1, 10, 2); the leading dotted numbers only, so `0.2.0rc1` reads as (0, 2, 0)."""
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", text)
    return tuple(int(part) for part in match.group(1).split(".")) if match else ()


def newer_version(manifest: object, current: str) -> str | None:
    """The announced version when it is newer than `current`, else None (also for a malformed manifest)."""
    announced = manifest.get("version") if isinstance(manifest, dict) else None
    if not isinstance(announced, str) or not version_key(announced):
        return None
    return announced if version_key(announced) > version_key(current) else None


def announcement(manifest: dict, current: str) -> str:
    """One text for the toast and the update modal: versions, description and this platform's download."""
    version = manifest.get("version")
    link = manifest.get(PLATFORM_KEYS.get(sys.platform, "linux")) or ""
    lines = [f"bitsota-tui {version} is available (you have {current})."]
    lines += [str(part) for part in (manifest.get("desc"), link) if part]
    return "\n".join(lines)


def fetch_manifest(url: str, timeout: float = 10.0) -> dict:
    """The update manifest at `url` (the relay's `/version.json`); raises httpx errors or ValueError."""
    response = httpx.get(url, timeout=timeout)
    response.raise_for_status()
    manifest = response.json()
    if not isinstance(manifest, dict):
        raise ValueError("the update manifest is not a JSON object")
    return manifest
