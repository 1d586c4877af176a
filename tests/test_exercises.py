"""The exercise checkers accept right answers and name typical mistakes."""

import numpy as np
import pytest

from course_utils.exercises import MISTAKES, check_step
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
    ("adam", 1, "1 − β·t"),
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
