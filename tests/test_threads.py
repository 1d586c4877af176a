"""BLAS threads while training: limited as documented, restored afterwards, results unchanged."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from course_utils.nn import make_mlp, train
from course_utils.optimizers import sgd
from course_utils.threads import TRAINING_BLAS_THREADS, check_threads, limit_blas_threads


def blas_threads_now():
    return sorted(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")


def recording_sgd():
    """SGD that notes the BLAS thread counts in force at every step."""
    seen = []

    def step(params, grad, state, **hp):
        seen.append(blas_threads_now())
        return sgd(params, grad, state, **hp)

    return step, seen


def problem(n=256):
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (n, 784)).astype(np.float32), rng.integers(0, 10, n)


def test_numpy_has_a_blas_that_threadpoolctl_sees():
    assert blas_threads_now()


@pytest.mark.parametrize("threads", [1, 2])
def test_train_runs_blas_with_the_chosen_threads_and_restores_them(threads):
    step, seen = recording_sgd()
    before = blas_threads_now()
    X, y = problem(64)
    train(make_mlp(rng=0), X, y, optimizer=step, epochs=1, batch_size=32,
          progress=False, blas_threads=threads, lr=0.1)
    assert seen and all(s == [threads] * len(before) for s in seen)
    assert blas_threads_now() == before


def test_default_is_the_documented_single_thread():
    assert TRAINING_BLAS_THREADS == 1
    step, seen = recording_sgd()
    X, y = problem(32)
    train(make_mlp(rng=0), X, y, optimizer=step, epochs=1, progress=False, lr=0.1)
    assert all(set(s) == {1} for s in seen)


def test_none_leaves_the_setting_alone():
    with limit_blas_threads(1):
        inside = blas_threads_now()
        with limit_blas_threads(None):
            assert blas_threads_now() == inside


def test_thread_count_does_not_change_the_result():
    """Threads split a product by blocks of the output: the same sums, up to float32 rounding.

    OpenBLAS may pick a different kernel for a split product, so the last bits can differ; after
    a short training run the weights agree to rounding and the losses to many digits.
    """
    X, y = problem()
    runs = {}
    for threads in (1, 2, None):
        model = make_mlp(rng=0)
        history = train(model, X, y, optimizer="adam", epochs=2, batch_size=64, progress=False,
                        blas_threads=threads, lr=0.001)
        runs[threads] = (history, model)
    ref_history, ref_model = runs[1]
    for threads in (2, None):
        history, model = runs[threads]
        np.testing.assert_allclose(history["loss"], ref_history["loss"], rtol=1e-5)
        for layer, ref in zip(model.layers, ref_model.layers, strict=True):
            for name, param in layer.params.items():
                np.testing.assert_allclose(param, ref.params[name], rtol=1e-4, atol=1e-6)
    # and one thread count run twice is bit for bit the same
    model = make_mlp(rng=0)
    history = train(model, X, y, optimizer="adam", epochs=2, batch_size=64, progress=False,
                    blas_threads=1, lr=0.001)
    assert history["loss"] == ref_history["loss"]
    assert np.array_equal(model.layers[0].params["W"], ref_model.layers[0].params["W"])


@pytest.mark.parametrize("value, error", [(0, ValueError), (-1, ValueError), (1.5, ValueError),
                                          ("2", TypeError), (True, TypeError)])
def test_bad_thread_counts_name_the_parameter(value, error):
    with pytest.raises(error, match="blas_threads"):
        check_threads(value)
    X, y = problem(8)
    with pytest.raises(error, match="blas_threads"):
        train(make_mlp(rng=0), X, y, epochs=1, progress=False, blas_threads=value)
