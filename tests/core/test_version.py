"""One version: core.__version__ is what the installed package, every service and the relay's packaged
update manifest say."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import core
import pool
import relay
import sidecar

REPO = Path(__file__).resolve().parents[2]


def test_services_and_package_metadata_use_core_version():
    assert relay.__version__ is pool.__version__ is sidecar.__version__ is core.__version__
    assert version("bitsota") == core.__version__


def test_pyproject_has_no_version_of_its_own():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in text and 'version = {attr = "core.__version__"}' in text


def test_packaged_update_manifest_announces_this_version():
    manifest = json.loads((REPO / "relay" / "version.json").read_text(encoding="utf-8"))
    assert manifest["version"] == core.__version__
    assert all(core.__version__ in manifest[field] for field in ("desc", "mac", "linux", "windows"))
