"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder (specs and golden facts) beside the checkout."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(scope="session")
def golden_dir(shared_dir: Path) -> Path:
    return shared_dir / "golden"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the PostgreSQL test database; skips (or fails when BITSOTA_REQUIRE_POSTGRES=1) without one."""
    url = os.environ.get("BITSOTA_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("BITSOTA_REQUIRE_POSTGRES") == "1":
            pytest.fail("BITSOTA_REQUIRE_POSTGRES=1 but BITSOTA_TEST_POSTGRES_URL is not set")
        pytest.skip("BITSOTA_TEST_POSTGRES_URL not set")
    return url
