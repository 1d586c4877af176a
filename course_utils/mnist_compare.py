"""The lecture's MNIST comparison of optimizers, rerun with the course's own code.

Set-up as in the lecture: the first 20 000 training images, the 10 000 test images, inputs
(x/255 − 0.5)·2, the network 784 → 200 (sigmoid) → 10 with softmax cross-entropy, batches of 64,
20 epochs, and each optimizer with the lecture's settings (``RUNS``). Weights start Glorot
uniform: the lecture's network asks for an initializer its code does not define; Glorot uniform
reproduces its table, while N(0, 1) weights end 5 to 14 points lower. The notebook calls
:func:`compare`; the same is a command line::

    python -m course_utils.mnist_compare [--epochs 20] [--n-train 20000] [--seeds 0 1 2]
                                         [--json PATH]
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from . import checks
from .data import load_mnist, preprocess
from .nn import make_mlp, train
from .tables import format_table

# The lecture's runs: key, label, optimizer, its settings, BatchNorm or not, the lecture's test
# accuracy. Its "decay" is called gamma (RMSProp) and rho (AdaDelta) here, as in the optimizers.
RUNS = (
    ("sgd", "SGD", "sgd", {"lr": 0.01}, False, 0.8951),
    ("momentum", "Momentum", "momentum", {"lr": 0.01, "gamma": 0.95}, False, 0.9604),
    ("adagrad", "AdaGrad", "adagrad", {"lr": 0.01, "eps": 1e-7}, False, 0.9503),
    ("rmsprop", "RMSProp", "rmsprop", {"lr": 0.001, "gamma": 0.95, "eps": 1e-7}, False, 0.9614),
    ("adadelta", "AdaDelta", "adadelta", {"rho": 0.95, "eps": 1e-7}, False, 0.9624),
    ("adam", "Adam", "adam", {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7}, False,
     0.9667),
    ("sgd_bn", "SGD + BatchNorm", "sgd", {"lr": 0.01}, True, 0.9258),
)
RUN_KEYS = tuple(run[0] for run in RUNS)


def _check_seeds(seeds):
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a list of whole numbers, got {checks.describe(seeds)}")
    seeds = tuple(checks.whole("seeds", seed, low=0) for seed in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got none")
    return seeds


def _settings_text(hyperparams):
    return ", ".join(f"{name} {value:g}" for name, value in hyperparams.items())


def lecture_data(data=None, n_train=20000):
    """The lecture's inputs: ``(x_train, y_train, x_test, y_test)``, images scaled to [−1, 1].

    ``data`` as ``load_mnist`` returns it (default: ``load_mnist()``); the first ``n_train``
    training images (all of them if there are fewer) and every test image.
    """
    if data is None:
        data = load_mnist()
    (x_train, y_train), (x_test, y_test) = data
    x_train, y_train = preprocess(x_train[:n_train]), np.asarray(y_train[:n_train])
    return x_train, y_train, preprocess(x_test), np.asarray(y_test)


def compare(epochs=20, n_train=20000, seeds=(0,), optimizers=None, data=None, progress=True):
    """Train the lecture's network once per run and seed; return one result dict per run.

    ``optimizers``: keys from ``RUN_KEYS`` (default: all seven runs). ``data``: MNIST as
    ``load_mnist`` returns it, ``(x_train, y_train), (x_test, y_test)`` with uint8 images
    (default: ``load_mnist()``); the first ``n_train`` training images are used, or all of them
    if there are fewer (the small offline set has 4 000). Seed s draws the initial weights
    (Glorot uniform) and the batch order, so a run is reproducible.

    Each result holds ``key``, ``label``, ``optimizer``, ``hyperparams``, ``settings`` (text),
    ``batchnorm``, ``reference`` (the lecture's accuracy), ``n_train`` and ``n_test`` (the numbers
    of images actually used), ``seeds``, ``test_accuracy`` (one per seed), ``mean``, ``std``
    (sample std over the seeds, 0 for one seed), ``seconds_per_epoch`` (training time, evaluation
    not counted) and ``histories`` (``train``'s history, per seed).
    """
    epochs = checks.whole("epochs", epochs, low=1)
    n_train = checks.whole("n_train", n_train, low=1)
    seeds = _check_seeds(seeds)
    keys = RUN_KEYS if optimizers is None else tuple(optimizers)
    unknown = [key for key in keys if key not in RUN_KEYS]
    if unknown:
        raise ValueError(f"unknown runs {unknown}; known runs: {', '.join(RUN_KEYS)}")
    x_train, y_train, x_test, y_test = lecture_data(data, n_train)

    results = []
    for key, label, optimizer, hyperparams, batchnorm, reference in RUNS:
        if key not in keys:
            continue
        accuracies, seconds, histories = [], [], []
        for seed in seeds:
            model = make_mlp(batchnorm=batchnorm, rng=seed)
            bar = f"{label} (seed {seed})" if progress else False
            history = train(model, x_train, y_train, x_test, y_test, optimizer=optimizer,
                            epochs=epochs, batch_size=64, seed=seed, progress=bar, **hyperparams)
            # A run that diverged in its first batch has no epoch entry: measure it here.
            tested = history["test_accuracy"]
            accuracies.append(tested[-1] if tested else model.accuracy(x_test, y_test))
            seconds.extend(history["seconds"])
            histories.append(history)
        results.append({
            "key": key,
            "label": label,
            "optimizer": optimizer,
            "hyperparams": dict(hyperparams),
            "settings": _settings_text(hyperparams),
            "batchnorm": batchnorm,
            "reference": reference,
            "n_train": len(x_train),
            "n_test": len(x_test),
            "seeds": list(seeds),
            "test_accuracy": accuracies,
            "mean": float(np.mean(accuracies)),
            "std": float(np.std(accuracies, ddof=1)) if len(accuracies) > 1 else 0.0,
            "seconds_per_epoch": float(np.mean(seconds)),
            "histories": histories,
        })
    return results


def results_table(results):
    """The results as a plain-text table, the lecture's accuracy beside each."""
    rows = [(r["label"], r["settings"], f"{r['mean']:.4f} ± {r['std']:.4f}", r["reference"],
             r["seconds_per_epoch"]) for r in results]
    return format_table(rows, ("optimizer", "settings", "test accuracy", "lecture", "s/epoch"),
                        formats=[None, None, None, ".4f", ".2f"])


def _whole_number(low):
    """An argparse type: a whole number >= low."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return parse


def _cannot_write(path):
    """Why the results could not be saved at ``path`` (None if they can): asked before training,
    so that a mistyped path does not fail after all the runs. Leaves no file behind."""
    path = Path(path)
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as err:
        return err.strerror or str(err)
    if not existed:
        path.unlink()
    return None


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.mnist_compare",
        description="Rerun the lecture's MNIST comparison of optimizers (784-200-10, batch 64).",
    )
    parser.add_argument("--epochs", type=_whole_number(1), default=20,
                        help="epochs per run (default 20)")
    parser.add_argument("--n-train", type=_whole_number(1), default=20000,
                        help="first N training images (default 20000)")
    parser.add_argument("--seeds", type=_whole_number(0), nargs="+", default=[0],
                        help="one run per seed; mean ± std over them (default 0)")
    parser.add_argument("--optimizers", nargs="+", choices=RUN_KEYS, default=None,
                        metavar="RUN", help=f"runs to do, of {', '.join(RUN_KEYS)} (default all)")
    parser.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bars")
    return parser


def parse_args(argv=None):
    return _parser().parse_args(argv)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.json:
        problem = _cannot_write(args.json)
        if problem:
            parser.error(f"argument --json: cannot write {args.json}: {problem}")
    start = time.perf_counter()
    data = load_mnist()
    available = len(data[0][0])
    if args.n_train > available:
        print(f"--n-train {args.n_train} is more than the {available} training images there "
              f"are: using all {available}.")
    results = compare(epochs=args.epochs, n_train=args.n_train, seeds=tuple(args.seeds),
                      optimizers=args.optimizers, data=data, progress=args.progress)
    print(results_table(results))
    print(f"total {time.perf_counter() - start:.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
