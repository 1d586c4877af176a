"""The reverse-mode tape of course_utils.autodiff against numerical gradients and nn's backward."""

import numpy as np
import pytest

from course_utils import autodiff as ad
from course_utils.activations import sigmoid
from course_utils.gradcheck import numerical_gradient, relative_error
from course_utils.nn import Activation, Dense, softmax_cross_entropy

RNG = np.random.default_rng(0)


def _check(build, *shapes, positive=False):
    """Tape gradients of the scalar ``build(*vars)`` equal central differences for each input."""
    values = [RNG.uniform(0.5, 2.0, s) if positive else RNG.normal(size=s) for s in shapes]
    tape = ad.Tape()
    inputs = [tape.var(v) for v in values]
    grads = tape.gradient(build(*inputs), inputs)
    for i, value in enumerate(values):

        def f(x, i=i):
            t = ad.Tape()
            args = [t.var(x if j == i else v) for j, v in enumerate(values)]
            return build(*args).value

        numeric = numerical_gradient(f, value.copy())
        assert grads[i].shape == value.shape
        assert relative_error(grads[i], numeric) < 1e-7, i


@pytest.mark.parametrize("build, shapes, positive", [
    (lambda a, b: ad.sum(a + b), [(3, 4), (4,)], False),  # broadcast bias: summed over rows
    (lambda a, b: ad.sum(a * b), [(3, 4), (3, 1)], False),
    (lambda a, b: ad.sum((a - b) * (a - b)), [(5,), (5,)], False),
    (lambda a, b: ad.mean(a @ b), [(3, 4), (4, 2)], False),
    (lambda a: ad.sum(ad.exp(a)), [(6,)], False),
    (lambda a: ad.sum(ad.log(a)), [(6,)], True),
    (lambda a: ad.sum(ad.sigmoid(a) * ad.tanh(a)), [(2, 3)], False),
    (lambda a: ad.sum(ad.relu(a) * a), [(10,)], False),
    (lambda a: ad.sum(2.0 * a - 1.0 + (3.0 - a) * a), [(4,)], False),
    (lambda a: ad.mse(ad.sigmoid(a), np.linspace(0, 1, 8).reshape(4, 2)), [(4, 2)], False),
    (lambda a: ad.softmax_cross_entropy(a, np.array([0, 2, 1])), [(3, 4)], False),
])
def test_every_operation_matches_numerical_gradients(build, shapes, positive):
    _check(build, *shapes, positive=positive)


def test_a_variable_used_twice_collects_both_contributions():
    tape = ad.Tape()
    x = tape.var([1.0, -2.0, 3.0])
    (dx,) = tape.gradient(ad.sum(x * x), [x])  # d/dx Σ x² = 2x
    np.testing.assert_allclose(dx, [2.0, -4.0, 6.0])
    unused = tape.var(np.ones(2))
    assert not tape.gradient(ad.sum(x), [unused])[0].any()


def test_two_layer_net_equals_the_hand_written_backward():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(7, 4))
    y = rng.integers(0, 3, size=7)
    first, act, second = Dense(4, 5, rng=2, dtype=np.float64), Activation("tanh"), \
        Dense(5, 3, rng=3, dtype=np.float64)
    first.params["b"] = rng.normal(size=5)
    # hand-derived backward (course_utils.nn)
    logits = second.forward(act.forward(first.forward(X)))
    loss, dlogits = softmax_cross_entropy(logits, y)
    first.backward(act.backward(second.backward(dlogits)))
    # the tape
    tape = ad.Tape()
    W1, b1 = tape.var(first.params["W"]), tape.var(first.params["b"])
    W2, b2 = tape.var(second.params["W"]), tape.var(second.params["b"])
    tape_loss = ad.softmax_cross_entropy(ad.tanh(X @ W1 + b1) @ W2 + b2, y)
    assert float(tape_loss.value) == pytest.approx(loss, rel=1e-14)
    assert tape.operations() == ["matmul", "add", "tanh", "matmul", "add",
                                 "softmax_cross_entropy"]
    dW1, db1, dW2, db2 = tape.gradient(tape_loss, [W1, b1, W2, b2])
    for got, want in [(dW1, first.grads["W"]), (db1, first.grads["b"]),
                      (dW2, second.grads["W"]), (db2, second.grads["b"])]:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_only_scalars_of_this_tape_can_be_differentiated():
    tape, other = ad.Tape(), ad.Tape()
    x = tape.var(np.ones(3))
    with pytest.raises(ValueError, match="scalar"):
        tape.gradient(x * 2.0, [x])
    with pytest.raises(ValueError, match="this tape"):
        other.gradient(ad.sum(x), [x])
    with pytest.raises(ValueError, match="this tape"):
        tape.gradient(3.0, [x])


def test_check_operation_accepts_a_right_vjp_and_names_a_wrong_one(capsys):
    def softplus(x):
        return x.tape.record("softplus", np.logaddexp(0.0, x.value), (x,),
                             lambda g: (g * sigmoid(x.value),))

    def softplus_wrong_vjp(x):
        return x.tape.record("softplus", np.logaddexp(0.0, x.value), (x,),
                             lambda g: (g * np.logaddexp(0.0, x.value),))

    def softplus_wrong_value(x):
        return x.tape.record("softplus", np.exp(x.value), (x,), lambda g: (g * sigmoid(x.value),))

    def plain(x):
        return np.logaddexp(0.0, x)

    assert ad.check_operation(softplus, plain)
    assert "agree at 13 points" in capsys.readouterr().out
    assert not ad.check_operation(softplus_wrong_vjp, plain)
    assert "the gradient differs" in capsys.readouterr().out
    assert not ad.check_operation(softplus_wrong_value, plain)
    assert "the value differs" in capsys.readouterr().out
    assert not ad.check_operation(lambda x: np.logaddexp(0.0, x.value), plain)
    assert "must return a Var" in capsys.readouterr().out
    assert ad.check_operation(ad.tanh, np.tanh, points=[[-1.0, 0.5], [2.0, 0.0]])
