"""Data sets for the binary tasks (algorithm.md §9): CIFAR_10_small and MNIST digits 0/1.

Raw sources are verified by SHA-256, parsed without sklearn (ARFF, or MNIST's IDX files) and cached as `.npz`
in the data dir with their digests in `manifest.json`. Offline machines get a `DatasetUnavailable` whose text
says what is missing and how to fix it.

    python -m core.datasets fetch {cifar10|mnist|all} [--data-dir D]
    python -m core.datasets verify [--data-dir D]
    python -m core.datasets path [--data-dir D]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from core.atomic_file import write_atomic, write_json_atomic
from core.cli import OneLineParser, run_main
from core.errors import BitsotaError

log = logging.getLogger(__name__)

DATA_DIR_ENV = "BITSOTA_DATA_DIR"
MANIFEST = "manifest.json"
DOWNLOAD_TIMEOUT_S = 60.0
CHUNK_BYTES = 1 << 20
ARFF_ROWS_PER_CHUNK = 1000

CIFAR10_ARFF = "CIFAR_10_small.arff.gz"
CIFAR10_SHA256 = "8bc18551ba7a01c82b49249d78537c0f08d25136988375435dc5e01397852a90"
CIFAR10_DEFAULT_URL = "https://cifar10.fra1.digitaloceanspaces.com/CIFAR_10_small.arff.gz"
CIFAR10_SKLEARN_PATH = "openml/openml.org/data/v1/download/16797612/CIFAR_10_small.arff.gz"

MNIST_ARFF = "mnist_784.arff.gz"
MNIST_SKLEARN_PATH = "openml/openml.org/data/v1/download/52667/mnist_784.arff.gz"
MNIST_IDX_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"
# train then test, images before labels: concatenated they equal the OpenML mnist_784 rows
MNIST_IDX_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MNIST_DIGITS = (0, 1)

DATASETS = ("cifar10", "mnist")
NPZ_PATHS = {"cifar10": "cifar10/cifar10_small.npz", "mnist": "mnist/mnist01.npz"}


class DatasetUnavailable(BitsotaError, RuntimeError):
    """A data set is neither cached nor obtainable; the message is shown to people verbatim."""


class ArffError(BitsotaError, ValueError):
    """The ARFF file cannot be parsed into features and class labels."""


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray  # (rows, features) uint8 pixels (float32 when not integral 0..255)
    y: np.ndarray  # (rows,) int32 labels
    synthetic: bool = False


# ---------------------------------------------------------------- data dir and manifest

def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """`--data-dir`, else BITSOTA_DATA_DIR, else $XDG_CACHE_HOME/bitsota/data, else ~/.cache/bitsota/data."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DATA_DIR_ENV, "").strip():
        return Path(os.environ[DATA_DIR_ENV].strip()).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(cache_home) if cache_home else Path.home() / ".cache") / "bitsota" / "data"


def read_manifest(root: Path) -> dict:
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"files": {}}
    if not isinstance(manifest, dict):
        return {"files": {}}
    manifest.setdefault("files", {})
    return manifest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def save_dataset(root: Path, name: str, X: np.ndarray, y: np.ndarray, *, synthetic: bool = False,
                 source: str = "") -> Path:
    """Write the parsed arrays of `name` as `.npz` and record their digests in the manifest.

    Tests use this to make fixture data dirs (`synthetic=True` marks the whole data dir as synthetic).
    """
    path = root / NPZ_PATHS[name]
    write_atomic(path, lambda handle: np.savez(handle, X=X, y=y))
    manifest = read_manifest(root)
    manifest["files"][NPZ_PATHS[name]] = {
        "sha256": sha256_file(path), "X_sha256": _array_sha256(X), "y_sha256": _array_sha256(y),
        "shape": list(X.shape), "dtype": str(X.dtype), "source": source,
    }
    manifest["synthetic"] = bool(synthetic or manifest.get("synthetic", False))
    write_json_atomic(root / MANIFEST, manifest, indent=2)
    return path


def dataset_file(name: str, root: Path) -> Path:
    """Where the parsed data set `name` is (or will be) cached in `root`."""
    return root / NPZ_PATHS[name]


def recorded_digest(name: str, root: Path) -> str | None:
    """The sha256 the manifest records for data set `name`'s file; None when it records none."""
    entry = read_manifest(root)["files"].get(NPZ_PATHS[name])
    digest = entry.get("sha256") if isinstance(entry, dict) else None
    return digest if isinstance(digest, str) else None


_warned_synthetic: set[Path] = set()


def _warn_synthetic(root: Path) -> None:
    if root not in _warned_synthetic:
        _warned_synthetic.add(root)
        log.warning("data dir %s holds SYNTHETIC test data (manifest \"synthetic\": true); scores computed "
                    "from it are not real scores", root)


def _cached_dataset(root: Path, name: str) -> Dataset | None:
    """The `.npz` of `name` if present and equal to the manifest's digest (a corrupt file is deleted)."""
    path = root / NPZ_PATHS[name]
    if not path.is_file():
        return None
    manifest = read_manifest(root)
    entry = manifest["files"].get(NPZ_PATHS[name])
    if not isinstance(entry, dict) or entry.get("sha256") != sha256_file(path):
        log.warning("%s does not match the digest in %s; it will be rebuilt", path, root / MANIFEST)
        path.unlink(missing_ok=True)
        return None
    with np.load(path, allow_pickle=False) as stored:
        X, y = stored["X"], stored["y"].astype(np.int32)
    synthetic = bool(manifest.get("synthetic", False))
    if synthetic:
        _warn_synthetic(root)
    X.flags.writeable = False
    y.flags.writeable = False
    return Dataset(X, y, synthetic)


def dataset_present(name: str, root: Path | None = None) -> bool:
    """True when `name` is parsed and cached in the data dir (no download needed)."""
    return _cached_dataset(root or data_dir(), name) is not None


# ---------------------------------------------------------------- parsing

def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, "rt", encoding="utf-8", errors="replace")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _parse_attribute(line: str) -> tuple[str, list[str] | None]:
    """(name, nominal values or None for a numeric attribute) of an `@attribute` line."""
    parts = line.split(None, 1)
    rest = parts[1].strip() if len(parts) > 1 else ""
    if not rest:
        raise ArffError(f"attribute line without a name: {line!r}")
    if rest[0] in "'\"" and rest.find(rest[0], 1) > 0:
        end = rest.find(rest[0], 1)
        name, kind = rest[1:end], rest[end + 1:].strip()
    else:
        fields = rest.split(None, 1)
        name, kind = fields[0], fields[1].strip() if len(fields) > 1 else ""
    if kind.startswith("{"):
        return name, [_unquote(v) for v in kind.strip("{}").split(",")]
    return name, None


def _class_labeler(values: list[str] | None) -> Callable[[str], int]:
    if values is None or all(_unquote(v).lstrip("-").isdigit() for v in values):
        return lambda text: int(float(_unquote(text)))
    index = {v: i for i, v in enumerate(values)}
    return lambda text: index[_unquote(text)]


def _data_lines(handle) -> Iterator[str]:
    for raw in handle:
        line = raw.strip()
        if line and not line.startswith("%"):
            if line.startswith("{"):
                raise ArffError("sparse ARFF rows are not supported")
            yield line


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def pixel_array(values: np.ndarray) -> np.ndarray:
    """uint8 when every value is an integer in 0..255 (pixels), else float32."""
    if values.size and np.all((values >= 0) & (values <= 255) & (values == np.floor(values))):
        return values.astype(np.uint8)
    return values.astype(np.float32)


def parse_arff(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features (file order, attribute order) and integer class labels of a dense ARFF (optionally .gz)."""
    attributes: list[tuple[str, list[str] | None]] = []
    with _open_text(path) as handle:
        for raw in handle:
            line = raw.strip()
            lowered = line.lower()
            if lowered.startswith("@attribute"):
                attributes.append(_parse_attribute(line))
            elif lowered.startswith("@data"):
                break
        else:
            raise ArffError(f"{path}: no @data section")
        if len(attributes) < 2:
            raise ArffError(f"{path}: needs feature attributes and a class attribute")
        class_name, class_values = attributes[-1]
        if class_name.lower() != "class" and any(name.lower() == "class" for name, _ in attributes):
            raise ArffError(f"{path}: the class attribute must be the last attribute")
        label_of = _class_labeler(class_values)
        n_features = len(attributes) - 1
        features, labels = [], []
        for chunk in _chunks(_data_lines(handle), ARFF_ROWS_PER_CHUNK):
            parts = [line.rpartition(",") for line in chunk]
            try:
                block = np.loadtxt([p[0] for p in parts], delimiter=",", dtype=np.float64, ndmin=2)
                labels.extend(label_of(p[2]) for p in parts)
            except (ValueError, KeyError) as exc:
                raise ArffError(f"{path}: bad data row: {exc}") from None
            if block.shape[1] != n_features:
                raise ArffError(f"{path}: rows have {block.shape[1]} features, header declares {n_features}")
            features.append(pixel_array(block))
    if not features:
        raise ArffError(f"{path}: no data rows")
    return np.concatenate(features), np.asarray(labels, dtype=np.int32)


def parse_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally .gz) of unsigned bytes: images (n, rows·cols) or labels (n,)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ArffError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ArffError(f"{path}: {data.size} values, header declares {dims}")
    return data.reshape(dims[0], -1) if ndim > 1 else data.copy()


def parse_mnist_idx(paths: Sequence[Path]) -> tuple[np.ndarray, np.ndarray]:
    """The four IDX files (train images, train labels, test images, test labels), train then test."""
    train_x, train_y, test_x, test_y = (parse_idx(p) for p in paths)
    return np.concatenate([train_x, test_x]), np.concatenate([train_y, test_y]).astype(np.int32)


def digits_subset(X: np.ndarray, y: np.ndarray, digits: Sequence[int] = MNIST_DIGITS):
    keep = np.isin(y, digits)
    return X[keep], y[keep]


# ---------------------------------------------------------------- sources and downloads

@dataclass
class Attempts:
    """Sources tried for one file, with what went wrong, for the DatasetUnavailable text."""

    tried: list[str] = field(default_factory=list)

    def failed(self, source: str, error: object) -> None:
        self.tried.append(f"{source}: {error}")


def _progress_printer(label: str, stream=None) -> Callable[[int, int | None, float], None]:
    stream = stream or sys.stderr

    def show(done: int, total: int | None, started: float) -> None:
        rate = done / max(time.monotonic() - started, 1e-9) / 1e6
        total_text = f"{total:,}" if total else "?"
        end = "\n" if total and done >= total else ""
        stream.write(f"\r{label}: {done:,}/{total_text} bytes {rate:.2f} MB/s{end}")
        stream.flush()

    return show


def download(url: str, target: Path, *, timeout: float = DOWNLOAD_TIMEOUT_S,
             progress: Callable[[int, int | None, float], None] | None = None) -> None:
    """Download `url` to `target` (through a temporary file) with a timeout and a progress callback."""
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        done = 0

        def copy(handle) -> None:
            nonlocal done
            for block in iter(lambda: response.read(CHUNK_BYTES), b""):
                handle.write(block)
                done += len(block)
                if progress:
                    progress(done, total, started)

        write_atomic(target, copy)


def obtain_file(target: Path, expected_sha256: str | None, *, local_copies: Sequence[Path] = (),
                urls: Sequence[str] = (), attempts: Attempts,
                progress: bool = True) -> Path | None:
    """Make `target` hold a verified copy: keep it if valid, else copy a local file, else download.

    A file that fails its checksum is deleted (copies outside the data dir are left alone) and the next
    source is tried. Returns None when every source failed (see `attempts`).
    """
    def valid(path: Path) -> bool:
        actual = sha256_file(path)
        if expected_sha256 is None or actual == expected_sha256:
            return True
        attempts.failed(str(path), f"SHA-256 mismatch (got {actual})")
        return False

    if target.is_file():
        if valid(target):
            return target
        target.unlink()
    else:
        attempts.failed(str(target), "not present")
    for copy in local_copies:
        if not copy.is_file():
            attempts.failed(str(copy), "not present")
        elif valid(copy):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(copy, target)
            return target
    for url in urls:
        try:
            download(url, target, progress=_progress_printer(target.name) if progress else None)
        except Exception as exc:  # network errors come in many types; each is reported and the next tried
            attempts.failed(url, f"{type(exc).__name__}: {exc}")
            continue
        if valid(target):
            return target
        target.unlink()
    return None


def unavailable(name: str, root: Path, missing: str, expected: str, attempts: Attempts,
                folder: str) -> DatasetUnavailable:
    tried = "\n".join(f"  - {line}" for line in attempts.tried) or "  (none)"
    return DatasetUnavailable(
        f"Data set {name} is unavailable: missing {missing}\n"
        f"Data dir: {root}\n"
        f"Sources tried:\n{tried}\n"
        f"Expected SHA-256: {expected}\n"
        f"Fix: download on a connected machine and copy into {root / folder}/, or set {DATA_DIR_ENV}."
    )


def _sklearn_home() -> Path:
    return Path(os.environ.get("SCIKIT_LEARN_DATA", "").strip() or Path.home() / "scikit_learn_data").expanduser()


def _gui_cifar_url() -> str | None:
    from core import config

    try:
        value = config.load_gui_config().get("cifar10_dataset_url")
    except config.ConfigError as exc:
        log.warning("%s", exc)
        return None
    return value if isinstance(value, str) and value.strip() else None


def cifar10_urls() -> list[str]:
    urls = [os.environ.get("CIFAR10_DATASET_URL", "").strip(), _gui_cifar_url() or CIFAR10_DEFAULT_URL]
    return list(dict.fromkeys(u for u in urls if u))


def fetch_cifar10(root: Path | None = None, *, expected_sha256: str = CIFAR10_SHA256,
                  urls: Sequence[str] | None = None, progress: bool = True) -> Path:
    """Make `cifar10/cifar10_small.npz` (sources in §9 order); raises DatasetUnavailable."""
    root = root or data_dir()
    if _cached_dataset(root, "cifar10") is not None:
        return root / NPZ_PATHS["cifar10"]
    attempts = Attempts()
    raw = obtain_file(root / "cifar10" / CIFAR10_ARFF, expected_sha256,
                      local_copies=[_sklearn_home() / CIFAR10_SKLEARN_PATH],
                      urls=cifar10_urls() if urls is None else urls, attempts=attempts, progress=progress)
    if raw is None:
        raise unavailable("cifar10", root, CIFAR10_ARFF, expected_sha256, attempts, "cifar10")
    X, y = parse_arff(raw)
    return save_dataset(root, "cifar10", X, y, source=f"{CIFAR10_ARFF} sha256={sha256_file(raw)}")


def _local_mnist_idx(root: Path) -> list[Path] | None:
    """The four IDX files already in `mnist/` (gzipped or not), or None when any is missing."""
    found = []
    for name in MNIST_IDX_SHA256:
        candidates = [root / "mnist" / name, root / "mnist" / name.removesuffix(".gz")]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            return None
        found.append(path)
    return found


def _mnist_from_idx(root: Path, idx_sha256: dict, mirror: str | None, attempts: Attempts,
                    progress: bool) -> list[Path] | None:
    paths = []
    for name, sha in idx_sha256.items():
        path = obtain_file(root / "mnist" / name, sha, urls=[mirror + name] if mirror else [],
                           attempts=attempts, progress=progress)
        if path is None:
            return None
        paths.append(path)
    return paths


def fetch_mnist(root: Path | None = None, *, idx_sha256: dict | None = None, arff_url: str | None = None,
                idx_mirror: str | None = MNIST_IDX_MIRROR, progress: bool = True) -> Path:
    """Make `mnist/mnist01.npz`: an ARFF or IDX set in the data dir, the sklearn cache copy, then
    `MNIST_DATASET_URL` (ARFF), then the IDX mirror. Raises DatasetUnavailable."""
    root = root or data_dir()
    if _cached_dataset(root, "mnist") is not None:
        return root / NPZ_PATHS["mnist"]
    idx_sha256 = MNIST_IDX_SHA256 if idx_sha256 is None else idx_sha256
    attempts = Attempts()
    local_idx = _local_mnist_idx(root)
    if local_idx is not None:
        X, y = parse_mnist_idx(local_idx)
    else:
        url = arff_url if arff_url is not None else os.environ.get("MNIST_DATASET_URL", "").strip()
        arff = obtain_file(root / "mnist" / MNIST_ARFF, None, local_copies=[_sklearn_home() / MNIST_SKLEARN_PATH],
                           urls=[url] if url else [], attempts=attempts, progress=progress)
        if arff is not None:
            X, y = parse_arff(arff)
        else:
            idx = _mnist_from_idx(root, idx_sha256, idx_mirror, attempts, progress)
            if idx is None:
                raise unavailable("mnist", root, f"{MNIST_ARFF} or the IDX files {', '.join(idx_sha256)}",
                                  ", ".join(f"{k}={v}" for k, v in idx_sha256.items()), attempts, "mnist")
            X, y = parse_mnist_idx(idx)
    X01, y01 = digits_subset(X, y)
    return save_dataset(root, "mnist", X01, y01, source="mnist_784 (digits 0/1)")


FETCHERS = {"cifar10": fetch_cifar10, "mnist": fetch_mnist}


def load_dataset(name: str, root: Path | None = None) -> Dataset:
    """The parsed data set `cifar10` or `mnist` (digits 0/1), fetching it first when needed."""
    if name not in FETCHERS:
        raise ValueError(f"unknown data set {name!r}; expected one of {', '.join(DATASETS)}")
    root = root or data_dir()
    dataset = _cached_dataset(root, name)
    if dataset is None:
        FETCHERS[name](root)
        dataset = _cached_dataset(root, name)
    if dataset is None:  # written a moment ago, so only a concurrent corruption lands here
        raise DatasetUnavailable(f"Data set {name} could not be cached in {root}")
    return dataset


def ensure_dataset(name: str) -> None:
    """Raise DatasetUnavailable unless `name` is (or can be made) available; used at miner start-up."""
    FETCHERS[name](data_dir())


# ---------------------------------------------------------------- command line

def verify(root: Path) -> list[tuple[str, str]]:
    """(data set, status) for each data set: ok, missing, or a digest mismatch."""
    manifest = read_manifest(root)
    results = []
    for name in DATASETS:
        path = root / NPZ_PATHS[name]
        entry = manifest["files"].get(NPZ_PATHS[name])
        if not path.is_file():
            results.append((name, "missing"))
        elif not isinstance(entry, dict) or entry.get("sha256") != sha256_file(path):
            results.append((name, "DIGEST MISMATCH"))
        else:
            results.append((name, "ok (synthetic)" if manifest.get("synthetic") else "ok"))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    data_dir_option = argparse.ArgumentParser(add_help=False)
    data_dir_option.add_argument("--data-dir", default=argparse.SUPPRESS,
                                 help=f"data dir (default: ${DATA_DIR_ENV} or the cache)")
    parser = OneLineParser(prog="python -m core.datasets", description="Manage the data set cache.",
                                     parents=[data_dir_option])
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="download, verify and parse a data set", parents=[data_dir_option])
    fetch.add_argument("name", choices=[*DATASETS, "all"])
    commands.add_parser("verify", help="check the cached arrays against the manifest", parents=[data_dir_option])
    commands.add_parser("path", help="print the data dir", parents=[data_dir_option])
    args = parser.parse_args(argv)
    root = data_dir(getattr(args, "data_dir", None))
    if args.command == "path":
        print(root)
        return 0
    if args.command == "verify":
        results = verify(root)
        for name, status in results:
            print(f"{name}: {status}")
        return 0 if all(status.startswith("ok") for _, status in results) else 1
    for name in DATASETS if args.name == "all" else [args.name]:
        try:
            print(f"{name}: {FETCHERS[name](root)}")
        except DatasetUnavailable as exc:
            print(str(exc), file=sys.stderr)
            return 1
        except ArffError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
