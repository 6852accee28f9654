"""GUI and problem config lookup order and loading errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core import config


@pytest.fixture
def place(tmp_path, monkeypatch):
    """cwd and HOME in tmp dirs with no config env set."""
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv(config.GUI_CONFIG_ENV, raising=False)
    monkeypatch.delenv(config.PROBLEM_CONFIG_ENV, raising=False)
    return cwd, home


def _write(path, data) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return str(path)


def test_gui_config_lookup_order(place, monkeypatch, tmp_path):
    cwd, home = place
    assert config.find_gui_config() is None and config.load_gui_config() == {}
    _write(home / ".bitsota" / "gui_config.json", {"where": "home"})
    assert config.load_gui_config() == {"where": "home"}
    _write(cwd / "gui_config.json", {"where": "gui"})
    assert config.load_gui_config() == {"where": "gui"}
    _write(cwd / "bitsota_gui_config.json", {"where": "bitsota"})
    assert config.load_gui_config() == {"where": "bitsota"}
    monkeypatch.setenv(config.GUI_CONFIG_ENV, _write(tmp_path / "env.json", {"where": "env"}))
    assert config.load_gui_config() == {"where": "env"}
    explicit = _write(tmp_path / "explicit.json", {"where": "flag"})
    assert config.load_gui_config(explicit) == {"where": "flag"}


def test_env_gui_config_is_used_even_when_missing(place, monkeypatch, tmp_path, caplog):
    cwd, _ = place
    _write(cwd / "gui_config.json", {"where": "gui"})
    monkeypatch.setenv(config.GUI_CONFIG_ENV, str(tmp_path / "absent.json"))
    with caplog.at_level("WARNING"):
        assert config.load_gui_config() == {}
    assert "absent.json" in caplog.text


def test_problem_config_lookup_order(place, monkeypatch, tmp_path):
    cwd, home = place
    assert config.find_problem_config() is None
    _write(home / ".bitsota" / "problem_config.json", {})
    assert config.find_problem_config() == home / ".bitsota" / "problem_config.json"
    _write(cwd / "problem_config_cpp_cifar10.json", {})
    assert config.find_problem_config() == cwd / "problem_config_cpp_cifar10.json"
    _write(cwd / "problem_config.json", {})
    assert config.find_problem_config() == cwd / "problem_config.json"
    monkeypatch.setenv(config.PROBLEM_CONFIG_ENV, str(tmp_path / "env.json"))
    assert config.find_problem_config() == tmp_path / "env.json"
    assert config.find_problem_config(gui_config={"problem_config_path": "~/p.json"}) == home / "p.json"
    assert config.find_problem_config("x.json", {"problem_config_path": "y.json"}).name == "x.json"


def test_bad_json_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "a": 1,\n  oops\n}')
    with pytest.raises(config.ConfigError, match=r"broken\.json: invalid JSON at line 3"):
        config.load_json_object(path)
    path.write_text("[]")
    with pytest.raises(config.ConfigError, match="expected a JSON object"):
        config.load_gui_config(path)


def test_problem_config_sections_must_be_objects(tmp_path):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps({"mining": {"engine_params": [1]}, "args": {}}))
    with pytest.raises(config.ConfigError, match=r"problem\.json: key 'mining\.engine_params'"):
        config.load_problem_config(path)
    path.write_text(json.dumps({"args": "fast"}))
    with pytest.raises(config.ConfigError, match=r"key 'args' must be a JSON object"):
        config.load_problem_config(path)
    path.write_text(json.dumps({"args": {"workers": 2}, "env": None}))
    assert config.load_problem_config(path)["args"] == {"workers": 2}


def test_show_command(place, tmp_path):
    cwd, home = place
    _write(cwd / "problem_config.json", {})
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    shown = subprocess.run([sys.executable, "-m", "core.config", "show"], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0
    assert "gui_config: (none; defaults)" in shown.stdout
    assert f"problem_config: {cwd / 'problem_config.json'}" in shown.stdout
    (cwd / "problem_config.json").write_text("{")
    broken = subprocess.run([sys.executable, "-m", "core.config", "show"], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1 and "problem_config.json: invalid JSON" in broken.stderr
