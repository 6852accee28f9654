"""Fixtures for the end-to-end tests: a scratch working directory laid out as the guide's repository root,
the services started in it, and the validator suite as the TUI resolves it."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.services import ROOT, VALIDATOR_ENV, Stack


@pytest.fixture
def workdir(tmp_path):
    """Guide §2: `cp problem_config.json.example problem_config.json` in the directory the commands run from."""
    shutil.copy(ROOT / "problem_config.json.example", tmp_path / "problem_config.json")
    return tmp_path


@pytest.fixture
def stack(workdir):
    services = Stack(workdir)
    yield services
    services.close()


@pytest.fixture
def validator_suite(monkeypatch) -> None:
    """The validator suite settings in this process's environment (what the submitter re-scores with)."""
    for key, value in VALIDATOR_ENV.items():
        monkeypatch.setenv(key, value)
