"""The MNIST optimizer comparison, on a tiny made-up data set (no MNIST files needed)."""

import json

import numpy as np
import pytest

from course_utils import mnist_compare
from course_utils.mnist_compare import RUN_KEYS, RUNS, compare, main, parse_args, results_table


def tiny_mnist(n_train=520, n_test=100, seed=0):
    """Random uint8 'images' and labels, shaped like load_mnist's result."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n_train + n_test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n_train + n_test)
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def test_runs_are_the_lectures_table():
    table = {key: (optimizer, hp, bn, ref) for key, _, optimizer, hp, bn, ref in RUNS}
    assert RUN_KEYS == ("sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam", "sgd_bn")
    assert table["sgd"] == ("sgd", {"lr": 0.01}, False, 0.8951)
    assert table["momentum"] == ("momentum", {"lr": 0.01, "gamma": 0.95}, False, 0.9604)
    assert table["adagrad"] == ("adagrad", {"lr": 0.01, "eps": 1e-7}, False, 0.9503)
    assert table["rmsprop"] == ("rmsprop", {"lr": 0.001, "gamma": 0.95, "eps": 1e-7}, False,
                                0.9614)
    assert table["adadelta"] == ("adadelta", {"rho": 0.95, "eps": 1e-7}, False, 0.9624)
    assert table["adam"] == ("adam", {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7},
                             False, 0.9667)
    assert table["sgd_bn"] == ("sgd", {"lr": 0.01}, True, 0.9258)


def test_compare_on_a_tiny_slice(capsys):
    results = compare(epochs=1, n_train=500, seeds=(0, 1), data=tiny_mnist(), progress=False)
    assert capsys.readouterr() == ("", "")
    assert [r["key"] for r in results] == list(RUN_KEYS)
    for r, run in zip(results, RUNS, strict=True):
        _, label, optimizer, hyperparams, batchnorm, reference = run
        assert (r["label"], r["optimizer"], r["hyperparams"]) == (label, optimizer, hyperparams)
        assert (r["batchnorm"], r["reference"], r["seeds"]) == (batchnorm, reference, [0, 1])
        assert (r["n_train"], r["n_test"]) == (500, 100)
        assert len(r["test_accuracy"]) == 2 and all(0 <= a <= 1 for a in r["test_accuracy"])
        assert r["mean"] == pytest.approx(np.mean(r["test_accuracy"]))
        assert r["std"] == pytest.approx(np.std(r["test_accuracy"], ddof=1))
        assert r["seconds_per_epoch"] > 0
        assert [len(h["loss"]) for h in r["histories"]] == [1, 1]
    json.dumps(results)  # plain numbers and lists only

    table = results_table(results)
    assert table.splitlines()[0].split() == ["optimizer", "settings", "test", "accuracy",
                                             "lecture", "s/epoch"]
    assert "SGD + BatchNorm" in table and "0.9258" in table and "lr 0.01, gamma 0.95" in table


def test_compare_selected_runs_is_deterministic():
    data = tiny_mnist()
    first = compare(epochs=1, n_train=200, optimizers=["adam"], data=data, progress=False)
    again = compare(epochs=1, n_train=200, optimizers=["adam"], data=data, progress=False)
    assert [r["key"] for r in first] == ["adam"]
    assert first[0]["test_accuracy"] == again[0]["test_accuracy"]
    assert first[0]["std"] == 0.0  # one seed
    with pytest.raises(ValueError, match="nesterov"):
        compare(epochs=1, optimizers=["nesterov"], data=data, progress=False)


def test_compare_uses_all_images_when_n_train_exceeds_them():
    # The small offline set has 4 000 training images; the default n_train is 20 000.
    results = compare(epochs=1, n_train=20000, optimizers=["sgd"], data=tiny_mnist(),
                      progress=False)
    assert (results[0]["n_train"], results[0]["n_test"]) == (520, 100)
    assert len(results[0]["histories"][0]["loss"]) == 1


def test_parse_args_defaults_and_options():
    args = parse_args([])
    assert (args.epochs, args.n_train, args.seeds, args.json) == (20, 20000, [0], None)
    assert args.optimizers is None and args.progress is True
    args = parse_args(["--epochs", "3", "--n-train", "1000", "--seeds", "0", "1", "2",
                       "--json", "out.json", "--optimizers", "sgd", "adam", "--no-progress"])
    assert (args.epochs, args.n_train, args.seeds, args.json) == (3, 1000, [0, 1, 2], "out.json")
    assert args.optimizers == ["sgd", "adam"] and args.progress is False
    with pytest.raises(SystemExit):
        parse_args(["--optimizers", "lbfgs"])


def test_main_prints_the_table_and_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(mnist_compare, "load_mnist", tiny_mnist)
    path = tmp_path / "results.json"
    assert main(["--epochs", "1", "--n-train", "300", "--optimizers", "sgd", "sgd_bn",
                 "--json", str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "SGD + BatchNorm" in out and "0.8951" in out and "total" in out
    saved = json.loads(path.read_text())
    assert [r["key"] for r in saved] == ["sgd", "sgd_bn"]
