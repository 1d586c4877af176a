"""Test with the averaged weights: the EMA of the weights against the raw ones on MNIST.

朱明超《深度模型中的优化》 (section 5): train with the raw weights, test with their exponential
moving average. :func:`compare_ema` trains the lecture's network (the set-up of
:mod:`course_utils.mnist_compare`) once per run and seed with ``nn.train(..., ema=α)`` and
records, after every epoch, the test accuracy of both.
"""

import numpy as np

from .averaging import check_alpha
from .mnist_compare import RUNS, lecture_data
from .nn import make_mlp, train

__all__ = ["compare_ema", "format_ema_table"]


def compare_ema(runs=("sgd", "momentum"), alpha=0.999, epochs=20, n_train=20000, seeds=(0,),
                data=None, progress=False):
    """Raw against EMA test accuracy for the lecture's runs (keys of ``mnist_compare.RUNS``).

    Returns one dict per run: ``key``, ``label``, ``settings``, ``alpha``, ``epochs``,
    ``n_train``, ``n_test``, ``seeds`` and, per seed, ``raw`` and ``ema``: lists of the test
    accuracy after each epoch.
    """
    alpha = check_alpha(alpha)
    known = {run[0]: run for run in RUNS}
    unknown = [key for key in runs if key not in known]
    if unknown:
        raise ValueError(f"unknown runs {unknown}; known runs: {', '.join(known)}")
    x_train, y_train, x_test, y_test = lecture_data(data, n_train)
    results = []
    for key in runs:
        _, label, optimizer, hyperparams, batchnorm, _ = known[key]
        raw, averaged = [], []
        for seed in seeds:
            model = make_mlp(batchnorm=batchnorm, rng=seed)
            bar = f"{label} (seed {seed})" if progress else False
            history = train(model, x_train, y_train, x_test, y_test, optimizer=optimizer,
                            epochs=epochs, batch_size=64, seed=seed, progress=bar, ema=alpha,
                            **hyperparams)
            raw.append(history["test_accuracy"])
            averaged.append(history["ema_test_accuracy"])
        results.append({
            "key": key, "label": label,
            "settings": ", ".join(f"{k} {v:g}" for k, v in hyperparams.items()),
            "alpha": alpha, "epochs": epochs, "n_train": len(x_train), "n_test": len(x_test),
            "seeds": list(seeds), "raw": raw, "ema": averaged,
        })
    return results


def format_ema_table(results):
    """Final test accuracy, raw and EMA, mean over the seeds, and their difference."""
    lines = [f"{'optimizer':10s} {'settings':22s} {'alpha':>6s} {'raw':>8s} {'EMA':>8s} "
             f"{'EMA - raw':>10s}  seeds where EMA is higher"]
    for r in results:
        raw = np.array([acc[-1] for acc in r["raw"]])
        ema = np.array([acc[-1] for acc in r["ema"]])
        better = int(np.sum(ema > raw))
        lines.append(f"{r['label']:10s} {r['settings']:22s} {r['alpha']:6g} {raw.mean():8.4f} "
                     f"{ema.mean():8.4f} {ema.mean() - raw.mean():+10.4f}  {better} of {len(raw)}")
    return "\n".join(lines)
