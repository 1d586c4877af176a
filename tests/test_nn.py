"""Layers, loss, MLP and training loop of course_utils.nn.

Gradients are checked against central differences in float64 (relative error < 1e-7),
with course_utils.gradcheck.
"""

import subprocess
import sys

import numpy as np
import pytest

from course_utils.gradcheck import numerical_gradient, relative_error
from course_utils.nn import (
    MLP,
    Activation,
    BatchNorm1D,
    Dense,
    make_mlp,
    softmax_cross_entropy,
    train,
)

F64 = np.float64


def check_layer_grads(layer, X, rng):
    """Compare backward with central differences for L = Σ Y·R (R random)."""
    R = rng.standard_normal(layer.forward(X).shape)

    def loss():
        return np.sum(layer.forward(X) * R)

    loss()
    dX = layer.backward(R)
    assert relative_error(dX, numerical_gradient(lambda _: loss(), X)) < 1e-7
    for name, p in layer.params.items():
        loss()
        layer.backward(R)
        analytic = layer.grads[name].copy()
        assert relative_error(analytic, numerical_gradient(lambda _: loss(), p)) < 1e-7, name


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------


def test_dense_gradients():
    rng = np.random.default_rng(0)
    layer = Dense(4, 3, rng=1, dtype=F64)
    layer.params["b"] = rng.standard_normal(3)
    check_layer_grads(layer, rng.standard_normal((5, 4)), rng)


def test_dense_shapes_dtype_and_init():
    layer = Dense(784, 200, rng=0)
    assert layer.params["W"].dtype == np.float32 and layer.params["b"].dtype == np.float32
    assert layer.params["W"].shape == (784, 200) and not layer.params["b"].any()
    limit = np.sqrt(6 / (784 + 200))  # glorot_uniform
    assert np.abs(layer.params["W"]).max() <= limit
    assert np.array_equal(Dense(784, 200, rng=0).params["W"], layer.params["W"])


def test_activation_layer_gradient():
    rng = np.random.default_rng(0)
    check_layer_grads(Activation("sigmoid"), rng.standard_normal((5, 4)), rng)


def test_batchnorm_gradients():
    rng = np.random.default_rng(0)
    bn = BatchNorm1D(4, dtype=F64)
    bn.params["gamma"] = rng.uniform(0.5, 2.0, 4)
    bn.params["beta"] = rng.standard_normal(4)
    X = rng.standard_normal((8, 4)) * [1.0, 3.0, 0.1, 10.0] + [0.0, 5.0, -2.0, 1.0]
    check_layer_grads(bn, X, rng)


def test_batchnorm_dx_sums_to_zero_per_feature():
    rng = np.random.default_rng(1)
    bn = BatchNorm1D(6, dtype=F64)
    bn.params["gamma"] = rng.uniform(0.5, 2.0, 6)
    bn.forward(rng.standard_normal((16, 6)) * 3 + 1)
    dX = bn.backward(rng.standard_normal((16, 6)))
    np.testing.assert_allclose(dX.sum(axis=0), 0.0, atol=1e-12)


def test_batchnorm_training_output_is_normalized():
    rng = np.random.default_rng(2)
    Y = BatchNorm1D(3, dtype=F64).forward(rng.standard_normal((50, 3)) * 4 + 7)
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Y.var(axis=0), 1.0, rtol=1e-5)  # ε = 1e-5 in √(σ² + ε)


def test_batchnorm_starts_from_ones_and_zeros():
    bn = BatchNorm1D(5)
    assert np.array_equal(bn.params["gamma"], np.ones(5))
    assert np.array_equal(bn.params["beta"], np.zeros(5))
    assert np.array_equal(bn.running_mean, np.zeros(5))
    assert np.array_equal(bn.running_var, np.ones(5))
    assert bn.momentum == 0.9 and bn.eps == 1e-5


def test_batchnorm_running_statistics_use_unbiased_variance():
    bn = BatchNorm1D(2, momentum=0.9, dtype=F64)
    bn.forward(np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]]))
    # batch mean (3, 6); unbiased variance (4, 16) — the biased one would be (8/3, 32/3)
    np.testing.assert_allclose(bn.running_mean, [0.1 * 3, 0.1 * 6], rtol=1e-14)
    np.testing.assert_allclose(bn.running_var, [0.9 + 0.1 * 4, 0.9 + 0.1 * 16], rtol=1e-14)


def test_batchnorm_eval_mode_uses_running_statistics():
    rng = np.random.default_rng(3)
    bn = BatchNorm1D(3, dtype=F64)
    bn.params["gamma"] = np.array([0.5, 1.0, 2.0])
    bn.params["beta"] = np.array([0.1, -0.2, 0.3])
    bn.forward(rng.standard_normal((10, 3)) + 2)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    X = rng.standard_normal((4, 3))
    expected = bn.params["gamma"] * (X - mean) / np.sqrt(var + 1e-5) + bn.params["beta"]
    np.testing.assert_allclose(bn.forward(X, training=False), expected, rtol=1e-12)
    # inference neither changes the running statistics nor depends on the rest of the batch
    assert np.array_equal(bn.running_mean, mean) and np.array_equal(bn.running_var, var)
    np.testing.assert_allclose(bn.forward(X[:1], training=False), expected[:1], rtol=1e-12)
    assert not np.allclose(bn.forward(X, training=True), expected)


def test_batchnorm_needs_two_samples_when_training():
    with pytest.raises(ValueError, match="2 samples"):
        BatchNorm1D(3).forward(np.ones((1, 3), np.float32))


# ---------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------


def test_softmax_cross_entropy_matches_direct_formula():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 10))
    labels = rng.integers(0, 10, 6)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, dlogits = softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(6), labels])), rel=1e-12)
    np.testing.assert_allclose(dlogits, (p - np.eye(10)[labels]) / 6, atol=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0], [1000.0, -1000.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is right
        loss, dlogits = softmax_cross_entropy(logits, np.array([0, 1]))
    assert loss == pytest.approx((0.0 + 2000.0) / 2)
    np.testing.assert_allclose(dlogits, [[0, 0, 0], [0.5, -0.5, 0]], atol=1e-15)
    loss32, _ = softmax_cross_entropy(logits.astype(np.float32), np.array([0, 1]))
    assert np.isfinite(loss32)


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, 5)
    _, dlogits = softmax_cross_entropy(logits, labels)
    numeric = numerical_gradient(lambda z: softmax_cross_entropy(z, labels)[0], logits)
    assert relative_error(dlogits, numeric) < 1e-7


# ---------------------------------------------------------------------------
# MLP
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("batchnorm", [False, True])
def test_mlp_gradients(batchnorm):
    rng = np.random.default_rng(0)
    model = make_mlp((6, 5, 4, 3), batchnorm=batchnorm, rng=0, dtype=F64)
    X = rng.standard_normal((7, 6))
    y = rng.integers(0, 3, 7)

    def loss():
        return model.loss(X, y)[0]

    for layer in model.layers:
        for name, p in layer.params.items():
            _, dlogits = model.loss(X, y)
            model.backward(dlogits)
            analytic = layer.grads[name].copy()
            numeric = numerical_gradient(lambda _: loss(), p)
            assert relative_error(analytic, numeric) < 1e-7, (layer, name)


def test_make_mlp_is_the_lectures_network():
    plain = make_mlp(rng=0)
    assert repr(plain) == "MLP(Dense(784, 200) → sigmoid → Dense(200, 10))"
    with_bn = make_mlp(batchnorm=True, rng=0)
    assert repr(with_bn) == "MLP(Dense(784, 200) → sigmoid → BatchNorm1D → Dense(200, 10))"
    assert np.array_equal(plain.layers[0].params["W"], with_bn.layers[0].params["W"])
    with pytest.raises(ValueError, match="Dense"):
        MLP([Activation("relu")])


def test_initial_loss_is_near_ln10():
    # At the start the logits are small, so the loss is ln 10 plus half the spread of each row of
    # logits (second-order log-sum-exp). Sigmoid outputs average 0.5, which gives every class a
    # fixed offset of std ≈ 0.5·√(200·Var(W2)) ≈ 0.7, so the loss is some 10 % above ln 10.
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (500, 784)).astype(np.float32)
    y = rng.integers(0, 10, 500)
    for seed in range(3):
        model = make_mlp(rng=seed)
        logits = model.forward(X)
        loss, _ = softmax_cross_entropy(logits, y)
        assert loss == pytest.approx(np.log(10), rel=0.2)
        assert loss == pytest.approx(np.log(10) + logits.var(axis=1).mean() / 2, rel=0.05)


def test_predict_and_accuracy():
    model = make_mlp((4, 3, 2), rng=0, dtype=F64)
    X = np.random.default_rng(0).standard_normal((10, 4))
    pred = model.predict(X)
    assert pred.shape == (10,) and set(pred) <= {0, 1}
    assert model.accuracy(X, pred) == 1.0 and model.accuracy(X, 1 - pred) == 0.0


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def small_problem(n=100, n_test=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n + n_test, 784)).astype(np.float32)
    y = rng.integers(0, 10, n + n_test)
    return X[:n], y[:n], X[n:], y[n:]


@pytest.mark.parametrize("batchnorm", [False, True])
def test_mlp_overfits_100_samples(batchnorm):
    x_train, y_train, x_test, y_test = small_problem()
    model = make_mlp(batchnorm=batchnorm, rng=0)
    history = train(model, x_train, y_train, x_test, y_test, optimizer="adam", epochs=30,
                    batch_size=10, progress=False, lr=0.005)
    assert history["train_accuracy"][-1] == 1.0
    assert model.accuracy(x_train, y_train) == 1.0
    assert history["loss"][-1] < 0.1 * history["loss"][0]
    assert model.layers[0].params["W"].dtype == np.float32  # training keeps float32


def test_train_history_and_determinism(capsys):
    x_train, y_train, x_test, y_test = small_problem()
    runs = []
    for seed in (0, 0, 1):
        model = make_mlp(rng=seed)
        history = train(model, x_train, y_train, x_test, y_test, optimizer="momentum", epochs=3,
                        batch_size=16, seed=seed, progress=False, lr=0.1, gamma=0.9)
        runs.append((history, model.layers[0].params["W"]))
    history, W = runs[0]
    assert set(history) == {"loss", "train_accuracy", "test_accuracy", "seconds", "diverged"}
    assert history["diverged"] is None
    assert all(len(history[key]) == 3 for key in ("loss", "train_accuracy", "test_accuracy",
                                                  "seconds"))
    assert all(0 <= a <= 1 for a in history["train_accuracy"] + history["test_accuracy"])
    assert all(s > 0 for s in history["seconds"])
    assert history["loss"] == runs[1][0]["loss"] and np.array_equal(W, runs[1][1])
    assert history["loss"] != runs[2][0]["loss"]
    assert capsys.readouterr() == ("", "")  # progress=False prints nothing


def test_train_without_test_data_and_with_a_step_function():
    from course_utils.optimizers import sgd

    x_train, y_train, _, _ = small_problem(n=30)
    history = train(make_mlp((784, 8, 10), rng=0), x_train, y_train, optimizer=sgd, epochs=2,
                    batch_size=7, progress=False, lr=0.1)
    assert history["test_accuracy"] == [None, None]


def test_train_keeps_float32_with_numpy_hyperparameters():
    x_train, y_train, _, _ = small_problem(n=20)
    model = make_mlp((784, 8, 10), rng=0)
    train(model, x_train.astype(np.float64), y_train, optimizer="momentum", epochs=1,
          batch_size=10, progress=False, lr=np.float64(0.1), gamma=np.float64(0.9))
    assert all(p.dtype == np.float32 for layer in model.layers for p in layer.params.values())


def test_train_rejects_bad_hyperparameters():
    x_train, y_train, _, _ = small_problem(n=8)
    with pytest.raises(ValueError, match="lr"):
        train(make_mlp(rng=0), x_train, y_train, epochs=1, progress=False, lr=-1.0)


def test_library_does_not_import_torch():
    code = "import sys, course_utils.nn, course_utils.mnist_compare; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
