"""mnist_compare refuses bad settings before any training, on the command line and in compare()."""

import json

import numpy as np
import pytest

from course_utils import mnist_compare
from course_utils.mnist_compare import _cannot_write, compare, main


def tiny_mnist(n_train=520, n_test=100, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n_train + n_test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n_train + n_test)
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


@pytest.fixture
def no_training(monkeypatch):
    """Any attempt to load data or train fails the test."""
    def fail(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(mnist_compare, "load_mnist", fail)
    monkeypatch.setattr(mnist_compare, "train", fail)


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--epochs", "0"], "argument --epochs: must be >= 1, got 0"),
        (["--epochs", "-3"], "argument --epochs: must be >= 1, got -3"),
        (["--epochs", "2.5"], "argument --epochs: must be a whole number, got '2.5'"),
        (["--n-train", "0"], "argument --n-train: must be >= 1, got 0"),
        (["--n-train", "-10"], "argument --n-train: must be >= 1, got -10"),
        (["--n-train", "many"], "argument --n-train: must be a whole number, got 'many'"),
        (["--seeds", "0", "-1"], "argument --seeds: must be >= 0, got -1"),
    ],
)
def test_bad_counts_are_argparse_errors(no_training, capsys, argv, match):
    with pytest.raises(SystemExit) as excinfo:
        main([*argv, "--no-progress"])
    assert excinfo.value.code == 2
    assert match in capsys.readouterr().err


@pytest.mark.parametrize("where", ["directory", "missing_parent", "file_under_a_file"])
def test_an_unwritable_json_path_fails_before_training(no_training, capsys, tmp_path, where):
    (tmp_path / "a_file").write_text("x")
    path = {"directory": tmp_path, "missing_parent": tmp_path / "no" / "such" / "r.json",
            "file_under_a_file": tmp_path / "a_file" / "r.json"}[where]
    with pytest.raises(SystemExit) as excinfo:
        main(["--json", str(path), "--no-progress"])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --json: cannot write {path}: " in err
    assert (tmp_path / "a_file").read_text() == "x"


def test_checking_the_json_path_leaves_no_trace(tmp_path):
    fresh = tmp_path / "fresh.json"
    assert _cannot_write(fresh) is None and not fresh.exists()
    kept = tmp_path / "old.json"
    kept.write_text("[1]")
    assert _cannot_write(kept) is None and kept.read_text() == "[1]"


def test_n_train_beyond_the_data_says_how_many_were_used(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(mnist_compare, "load_mnist", tiny_mnist)
    path = tmp_path / "r.json"
    assert main(["--epochs", "1", "--n-train", "20000", "--optimizers", "sgd", "--no-progress",
                 "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "--n-train 20000 is more than the 520 training images there are: using all 520." in out
    assert json.loads(path.read_text())[0]["n_train"] == 520


def test_batchnorm_run_with_a_last_batch_of_one(monkeypatch, capsys):
    # 65 = 64 + 1: the lone last sample joins the first batch instead of crashing BatchNorm.
    monkeypatch.setattr(mnist_compare, "load_mnist", tiny_mnist)
    assert main(["--epochs", "2", "--n-train", "65", "--optimizers", "sgd_bn",
                 "--no-progress"]) == 0
    assert "SGD + BatchNorm" in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epochs": 0}, ValueError, "epochs must be a whole number >= 1, got 0"),
        ({"epochs": -1}, ValueError, "epochs must be"),
        ({"epochs": "20"}, TypeError, "epochs must be"),
        ({"n_train": 0}, ValueError, "n_train must be a whole number >= 1, got 0"),
        ({"n_train": -5}, ValueError, "n_train must be"),
        ({"n_train": 2.5}, ValueError, "n_train must be"),
        ({"seeds": ()}, ValueError, "seeds must hold at least one seed"),
        ({"seeds": (0, -1)}, ValueError, "seeds must be a whole number >= 0, got -1"),
        ({"seeds": 0}, TypeError, "seeds must be a list of whole numbers"),
        ({"seeds": "0"}, TypeError, "seeds must be a list of whole numbers"),
    ],
)
def test_compare_checks_its_arguments_before_loading(no_training, kwargs, error, match):
    with pytest.raises(error, match=match):
        compare(progress=False, **kwargs)


def test_bad_labels_in_the_data_are_named(monkeypatch):
    (x_train, y_train), (x_test, y_test) = tiny_mnist()
    y_test = y_test.copy()
    y_test[5] = 10
    with pytest.raises(ValueError, match=r"y_test must hold integer class labels in \[0, 10\)"):
        compare(epochs=1, n_train=100, optimizers=["sgd"], progress=False,
                data=((x_train, y_train), (x_test, y_test)))


def test_a_diverging_run_is_reported_with_the_accuracy_of_its_kept_weights(monkeypatch, capsys):
    monkeypatch.setattr(mnist_compare, "RUNS", (("sgd", "SGD", "sgd", {"lr": 1e4}, False, 0.9),))
    [result] = compare(epochs=2, n_train=500, data=tiny_mnist(), progress=False)
    assert result["histories"][0]["diverged"] is not None
    assert 0 <= result["mean"] <= 1
    assert "Training diverged" in capsys.readouterr().out
