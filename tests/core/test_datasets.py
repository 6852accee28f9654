"""Data set sources, parsing and caching on small files in the real formats; never the network."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from core import datasets
from core.tasks import Cifar10Spec, MnistSpec
from tests.core.tasks_support import class_means_pixels, isolated_data, write_arff_gz, write_idx  # noqa: F401


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cifar_like(rows: int = 30, features: int = 12):
    y = (np.arange(rows) * 7 % 10).astype(np.int32)
    return class_means_pixels(y, features, seed=1), y


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("BITSOTA_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_dir() == tmp_path / "xdg" / "bitsota" / "data"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.data_dir() == tmp_path / "home" / ".cache" / "bitsota" / "data"
    monkeypatch.setenv("BITSOTA_DATA_DIR", str(tmp_path / "env"))
    assert datasets.data_dir() == tmp_path / "env"
    assert datasets.data_dir(tmp_path / "flag") == tmp_path / "flag"


def test_arff_parsing_keeps_row_and_attribute_order(tmp_path):
    X, y = _cifar_like()
    path = write_arff_gz(tmp_path / "small.arff.gz", X, y)
    parsed_X, parsed_y = datasets.parse_arff(path)
    assert parsed_X.dtype == np.uint8 and np.array_equal(parsed_X, X)
    assert parsed_y.dtype == np.int32 and np.array_equal(parsed_y, y)


def test_arff_named_quoted_classes_and_float_features(tmp_path):
    X = np.array([[0.5, 1.0], [2.25, 3.0], [1.0, 0.0]])
    y = np.array([1, 0, 1])
    path = write_arff_gz(tmp_path / "named.arff.gz", X, y, class_values=["cat", "dog"], quote_class=True)
    parsed_X, parsed_y = datasets.parse_arff(path)
    assert parsed_X.dtype == np.float32 and np.array_equal(parsed_X, X.astype(np.float32))
    assert parsed_y.tolist() == [1, 0, 1]


def test_arff_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.arff"
    bad.write_text("@relation r\n@attribute a numeric\n@attribute class {0,1}\n@data\n1,2,0\n")
    with pytest.raises(datasets.ArffError, match="2 features, header declares 1"):
        datasets.parse_arff(bad)
    missing_data = tmp_path / "nodata.arff"
    missing_data.write_text("@relation r\n@attribute a numeric\n")
    with pytest.raises(datasets.ArffError, match="no @data"):
        datasets.parse_arff(missing_data)


def test_cifar_from_the_data_dir_file_is_parsed_cached_and_recorded(isolated_data):
    X, y = _cifar_like()
    raw = write_arff_gz(isolated_data / "cifar10" / datasets.CIFAR10_ARFF, X, y)
    npz = datasets.fetch_cifar10(expected_sha256=_sha(raw), progress=False)
    assert npz == isolated_data / "cifar10" / "cifar10_small.npz"
    manifest = json.loads((isolated_data / "manifest.json").read_text())
    entry = manifest["files"]["cifar10/cifar10_small.npz"]
    assert entry["sha256"] == _sha(npz) and manifest["synthetic"] is False
    loaded = datasets.load_dataset("cifar10")
    assert np.array_equal(loaded.X, X) and np.array_equal(loaded.y, y) and not loaded.synthetic
    assert datasets.verify(isolated_data)[0] == ("cifar10", "ok")


def test_checksum_mismatch_deletes_the_download_and_tries_the_next_source(isolated_data, tmp_path):
    X, y = _cifar_like()
    good = write_arff_gz(tmp_path / "mirror" / "good.arff.gz", X, y)
    wrong = write_arff_gz(tmp_path / "mirror" / "wrong.arff.gz", X[:5], y[:5])
    target = isolated_data / "cifar10" / datasets.CIFAR10_ARFF
    npz = datasets.fetch_cifar10(expected_sha256=_sha(good), progress=False,
                                 urls=[wrong.as_uri(), "https://example.invalid/x.arff.gz", good.as_uri()])
    assert _sha(target) == _sha(good)
    assert npz.is_file()
    assert not list(target.parent.glob("*.tmp"))


def test_sklearn_cache_copy_is_used(isolated_data, tmp_path):
    X, y = _cifar_like()
    copy = write_arff_gz(tmp_path / "sklearn" / datasets.CIFAR10_SKLEARN_PATH, X, y)
    datasets.fetch_cifar10(expected_sha256=_sha(copy), urls=[], progress=False)
    assert np.array_equal(datasets.load_dataset("cifar10").X, X)


def test_offline_error_names_file_dir_sources_checksum_and_fix(isolated_data, tmp_path):
    X, y = _cifar_like()
    corrupt = write_arff_gz(isolated_data / "cifar10" / datasets.CIFAR10_ARFF, X, y)
    with pytest.raises(datasets.DatasetUnavailable) as caught:
        datasets.fetch_cifar10(expected_sha256="ab" * 32, progress=False)
    text = str(caught.value)
    assert not corrupt.exists()  # a mismatching file in the data dir is deleted
    assert "missing CIFAR_10_small.arff.gz" in text
    assert f"Data dir: {isolated_data}" in text
    assert "SHA-256 mismatch" in text
    assert str(tmp_path / "sklearn" / datasets.CIFAR10_SKLEARN_PATH) + ": not present" in text
    assert datasets.CIFAR10_DEFAULT_URL + ": OSError: network disabled in tests" in text
    assert "Expected SHA-256: " + "ab" * 32 in text
    assert f"copy into {isolated_data / 'cifar10'}/, or set BITSOTA_DATA_DIR" in text


def test_download_progress_shows_bytes_total_and_rate(tmp_path, capsys):
    source = tmp_path / "blob.bin"
    source.write_bytes(b"x" * 3000)
    datasets.download(source.as_uri(), tmp_path / "out.bin", progress=datasets._progress_printer("blob"))
    err = capsys.readouterr().err
    assert "blob: 3,000/3,000 bytes" in err and "MB/s" in err
    assert (tmp_path / "out.bin").read_bytes() == source.read_bytes()


def _mnist_like(rows: int = 50):
    labels = (np.arange(rows) * 3 % 10).astype(np.uint8)
    return class_means_pixels(labels, 784, seed=2), labels


def test_mnist_idx_and_arff_routes_yield_identical_arrays(isolated_data, tmp_path):
    X, y = _mnist_like()
    idx_dir = tmp_path / "idx"
    names = list(datasets.MNIST_IDX_SHA256)
    parts = [X[:30].reshape(30, 28, 28), y[:30], X[30:].reshape(20, 28, 28), y[30:]]
    files = [write_idx(idx_dir / name, part) for name, part in zip(names, parts)]
    idx_sha = {name: _sha(path) for name, path in zip(names, files)}
    datasets.fetch_mnist(idx_sha256=idx_sha, idx_mirror=idx_dir.as_uri() + "/", progress=False)
    from_idx = datasets.load_dataset("mnist")
    keep = np.isin(y, (0, 1))
    assert np.array_equal(from_idx.X, X[keep]) and np.array_equal(from_idx.y, y[keep])

    other = tmp_path / "other"
    arff = write_arff_gz(tmp_path / "mnist.arff.gz", X, y.astype(np.int64))
    datasets.fetch_mnist(other, arff_url=arff.as_uri(), idx_mirror=None, progress=False)
    from_arff = datasets.load_dataset("mnist", other)
    assert from_arff.X.tobytes() == from_idx.X.tobytes() and from_arff.y.tobytes() == from_idx.y.tobytes()


def test_mnist_offline_error_lists_both_routes(isolated_data):
    with pytest.raises(datasets.DatasetUnavailable) as caught:
        datasets.fetch_mnist(progress=False)
    text = str(caught.value)
    assert "mnist_784.arff.gz" in text and "train-images-idx3-ubyte.gz" in text
    assert "network disabled in tests" in text and "Fix: download on a connected machine" in text


def test_synthetic_fixture_flag_and_warning(isolated_data, caplog):
    y = (np.arange(200) % 2).astype(np.int32)
    datasets.save_dataset(isolated_data, "mnist", class_means_pixels(y, 784), y, synthetic=True)
    datasets._warned_synthetic.clear()
    with caplog.at_level("WARNING", logger="core.datasets"):
        dataset = datasets.load_dataset("mnist")
    assert dataset.synthetic and "SYNTHETIC" in caplog.text
    data = MnistSpec.for_id(3, n_components=4, n_samples=80).load()
    # class-dependent means make the task learnable: the first feature separates the classes somewhat
    assert data.X_train.shape == (40, 4)


def test_corrupt_npz_is_rebuilt_from_the_raw_file(isolated_data):
    X, y = _cifar_like()
    raw = write_arff_gz(isolated_data / "cifar10" / datasets.CIFAR10_ARFF, X, y)
    npz = datasets.fetch_cifar10(expected_sha256=_sha(raw), progress=False)
    npz.write_bytes(b"garbage")
    assert datasets.verify(isolated_data)[0] == ("cifar10", "DIGEST MISMATCH")
    assert not datasets.dataset_present("cifar10")
    datasets.fetch_cifar10(expected_sha256=_sha(raw), progress=False)
    assert datasets.dataset_present("cifar10")


def test_binary_tasks_load_from_the_cached_data_set(isolated_data):
    y = (np.arange(300) % 10).astype(np.int32)
    datasets.save_dataset(isolated_data, "cifar10", class_means_pixels(y, 30), y, synthetic=True)
    data = Cifar10Spec.for_id(0, n_components=3, n_samples=40).load()
    assert data.X_train.shape == (20, 3) and set(np.unique(data.y_train)) <= {0.0, 1.0}


def _cli(*args, env):
    return subprocess.run([sys.executable, "-m", "core.datasets", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_cli_path_verify_and_offline_fetch(isolated_data, tmp_path):
    import os

    gui_config = tmp_path / "gui.json"  # replaces the default URL, so the child never reaches the network
    gui_config.write_text(json.dumps({"cifar10_dataset_url": (tmp_path / "gui_absent.arff.gz").as_uri()}))
    env = dict(os.environ, BITSOTA_DATA_DIR=str(isolated_data), SCIKIT_LEARN_DATA=str(tmp_path / "sk"),
               CIFAR10_DATASET_URL=(tmp_path / "absent.arff.gz").as_uri(), BITSOTA_GUI_CONFIG=str(gui_config))
    assert _cli("path", env=env).stdout.strip() == str(isolated_data)
    assert _cli("path", "--data-dir", str(tmp_path / "flag"), env=env).stdout.strip() == str(tmp_path / "flag")
    verify = _cli("verify", env=env)
    assert verify.returncode == 1 and "cifar10: missing" in verify.stdout
    fetch = _cli("fetch", "cifar10", env=env)
    assert fetch.returncode == 1
    assert "Data set cifar10 is unavailable" in fetch.stderr and "/absent.arff.gz" in fetch.stderr
    assert "gui_absent.arff.gz" in fetch.stderr and "digitaloceanspaces" not in fetch.stderr
    bad = _cli("fetch", "imagenet", env=env)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
