"""The exercise checkers accept right answers and name typical mistakes."""

import numpy as np
import pytest

from course_utils.exercises import (
    BATCHNORM_CASES,
    BATCHNORM_MISTAKES,
    MISTAKES,
    check_batchnorm_backward,
    check_step,
)
from course_utils.optimizers import OPTIMIZERS


@pytest.mark.parametrize("name", [n for n, record in OPTIMIZERS.items() if not record.needs])
def test_the_library_passes_its_own_checker(name, capsys):
    assert check_step(OPTIMIZERS[name].step, name)
    assert "all 4 cases agree" in capsys.readouterr().out


def test_an_equivalent_convention_passes():
    def torch_momentum(params, grad, state, *, lr=0.01, gamma=0.9):
        v = gamma * state.get("v", 0.0) + grad
        return params - lr * v, {"v": v}

    assert check_step(torch_momentum, "momentum", verbose=False)


# Every entry of MISTAKES, with the words its message must contain.
MISTAKE_MESSAGES = [
    ("adagrad", 0, "ε is inside the square root"),
    ("rmsprop", 0, "ε is inside the square root"),
    ("adam", 0, "the bias correction is missing"),
    ("adam", 1, "the bias correction uses 1 − β·t; it is 1 − βᵗ"),
    ("adam", 2, "ε is inside the square root"),
    ("adadelta", 0, "inside both square roots"),
    ("momentum", 0, "not carried from step to step"),
    ("momentum", 1, "the velocity is an average"),
    ("momentum", 2, "moves with the old velocity"),
    ("sgd", 0, "the step goes uphill"),
    ("adagrad", 1, "G is not accumulated"),
    ("adagrad", 2, "the square root is missing"),
]


@pytest.mark.parametrize("name, index, expected", MISTAKE_MESSAGES)
def test_typical_mistakes_fail_with_a_message_that_names_them(name, index, expected, capsys):
    description, wrong = MISTAKES[name][index]
    assert not check_step(wrong, name)
    out = capsys.readouterr().out
    assert "first difference at step" in out and expected in out


def test_mutating_inputs_float64_leak_and_errors_are_reported(capsys):
    def mutating_sgd(params, grad, state, *, lr=0.01):
        params -= lr * grad
        return params, {}

    def float64_sgd(params, grad, state, *, lr=0.01):
        return np.asarray(params, dtype=np.float64) - lr * grad, {}

    def broken(params, grad, state, *, lr=0.01):
        raise RuntimeError("not written yet")

    assert not check_step(mutating_sgd, "sgd")
    assert "changed params or grad in place" in capsys.readouterr().out
    assert not check_step(float64_sgd, "sgd")
    out = capsys.readouterr().out
    assert "case 'float32'" in out and "params are float64, expected float32" in out
    assert not check_step(broken, "sgd")
    assert "raised RuntimeError: not written yet" in capsys.readouterr().out


def test_a_step_that_is_off_by_a_little_is_caught_with_the_step_and_size(capsys):
    def sloppy_sgd(params, grad, state, *, lr=0.01):
        return params - lr * grad * (1 + 1e-5), {}

    assert not check_step(sloppy_sgd, "sgd")
    out = capsys.readouterr().out
    assert "first difference at step 1" in out and "params at index" in out


def test_every_typical_mistake_has_its_message_tested():
    listed = {(name, index) for name, index, _ in MISTAKE_MESSAGES}
    assert listed == {(name, i) for name, entries in MISTAKES.items() for i in range(len(entries))}


@pytest.mark.parametrize("name", ["sgd", "momentum", "adagrad"])
def test_an_attempt_written_in_another_form_passes(name):
    # What a student writes from the formulas in notebooks 05-07, not the library's code.
    def sgd_(p, g, s, *, lr=0.01):
        return p - lr * g, s

    def momentum_(p, g, s, *, lr=0.01, gamma=0.9):
        v = gamma * s["v"] + lr * g if "v" in s else lr * g
        return p - v, {"v": v}

    def adagrad_(p, g, s, *, lr=0.01, eps=1e-10):
        G = s.get("G", np.zeros_like(g)) + g**2
        return p - lr / (np.sqrt(G) + eps) * g, {"G": G}

    attempt = {"sgd": sgd_, "momentum": momentum_, "adagrad": adagrad_}[name]
    assert check_step(attempt, name, verbose=False)


# ---------------------------------------------------------------------------
# BatchNorm's backward pass
# ---------------------------------------------------------------------------


def step_by_step_backward(dY, X, gamma, eps):
    """The six steps of notebook 12, one line each (another order of the same sums)."""
    m = len(X)
    mu = X.mean(axis=0)
    var = ((X - mu) ** 2).mean(axis=0)
    x_hat = (X - mu) / np.sqrt(var + eps)
    dbeta, dgamma = dY.sum(axis=0), (dY * x_hat).sum(axis=0)
    dx_hat = gamma * dY
    dvar = np.sum(dx_hat * (X - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = -dx_hat.sum(axis=0) / np.sqrt(var + eps)
    dX = dx_hat / np.sqrt(var + eps) + dvar * 2 * (X - mu) / m + dmu / m
    return dX, dgamma, dbeta


def test_a_correct_batchnorm_backward_passes(capsys):
    assert check_batchnorm_backward(step_by_step_backward)
    out = capsys.readouterr().out
    assert f"all {len(BATCHNORM_CASES)} cases agree" in out and "float32" in out


@pytest.mark.parametrize(
    "index, output, expected",
    [
        (0, "dX differs", "the mean term is missing"),
        (1, "dX differs", "x̂·Σ(dY·x̂) is missing"),
        (2, "dgamma differs", "m − 1"),
        (3, "dX differs", "γ is missing"),
        (4, "dgamma differs", "ε is missing"),
    ],
)
def test_typical_batchnorm_mistakes_fail_and_are_named(index, output, expected, capsys):
    _, wrong = BATCHNORM_MISTAKES[index]
    assert not check_batchnorm_backward(wrong)
    out = capsys.readouterr().out
    first_problem = out.splitlines()[1]
    assert output in first_problem and "relative error" in first_problem
    assert expected in out


def test_batchnorm_checker_names_the_first_output_that_differs(capsys):
    def wrong_dbeta(dY, X, gamma, eps):
        dX, dgamma, dbeta = step_by_step_backward(dY, X, gamma, eps)
        return dX, dgamma, dY.mean(axis=0)  # a mean where the sum belongs

    assert not check_batchnorm_backward(wrong_dbeta)
    out = capsys.readouterr().out
    assert "dbeta differs" in out.splitlines()[1] and "dgamma" not in out
    assert "hint: dβ = Σ_i dy_i" in out


def test_batchnorm_checker_catches_float64_leaks_nan_and_bad_returns(capsys):
    def in_float64(dY, X, gamma, eps):
        return tuple(a.astype(np.float64) for a in step_by_step_backward(dY, X, gamma, eps))

    def nan_for_constant_features(dY, X, gamma, eps):
        dX, dgamma, dbeta = step_by_step_backward(dY, X, gamma, eps)
        return np.where(X.std(axis=0) > 0, dX, np.nan), dgamma, dbeta

    assert not check_batchnorm_backward(in_float64)
    out = capsys.readouterr().out
    assert "case 'float32'" in out and "dbeta is float64, expected float32" in out
    assert not check_batchnorm_backward(nan_for_constant_features)
    out = capsys.readouterr().out
    assert "case 'a constant feature'" in out and "NaN or inf" in out
    assert not check_batchnorm_backward(lambda dY, X, gamma, eps: dY)
    assert "must return a tuple (dX, dgamma, dbeta)" in capsys.readouterr().out
    with pytest.raises(TypeError, match="fn must be your backward function"):
        check_batchnorm_backward("dX")


def test_batchnorm_checker_leaves_its_cases_unchanged():
    def mutating(dY, X, gamma, eps):
        X -= X.mean(axis=0)  # changes only the copy it was given
        return step_by_step_backward(dY, X, gamma, eps)

    assert check_batchnorm_backward(mutating, verbose=False)
    assert check_batchnorm_backward(step_by_step_backward, verbose=False)
