import warnings

import numpy as np
import pytest

from course_utils.activations import (
    ACTIVATIONS,
    DERIVATIVES_FROM_OUTPUT,
    get_activation,
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    tanh,
    tanh_grad,
)

# Points on both sides of 0 but away from the kinks of relu / leaky relu.
Z = np.array([-4.0, -1.3, -0.2, 0.15, 0.9, 2.6, 5.0])


def central_difference(f, z, h=1e-6):
    return (f(z + h) - f(z - h)) / (2 * h)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_matches_finite_difference(name):
    f, f_grad = ACTIVATIONS[name]
    np.testing.assert_allclose(f_grad(Z), central_difference(f, Z), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("alpha", [0.01, 0.2])
def test_leaky_relu_slope_reaches_derivative(alpha):
    numeric = central_difference(lambda z: leaky_relu(z, alpha=alpha), Z)
    np.testing.assert_allclose(leaky_relu_grad(Z, alpha=alpha), numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(leaky_relu(np.array([-2.0, 3.0]), alpha=alpha), [-2 * alpha, 3.0])


def test_known_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu_grad(z), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert sigmoid(0.0) == 0.5
    np.testing.assert_allclose(tanh(z), np.tanh(z))
    np.testing.assert_allclose(tanh_grad(z), 1 - np.tanh(z) ** 2)
    np.testing.assert_allclose(sigmoid_grad(0.0), 0.25)


def test_sigmoid_extreme_inputs_finite_without_warnings():
    z = np.array([-1000.0, -745.0, -30.0, 30.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = sigmoid(z)
        ds = sigmoid_grad(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ds))
    assert s[-1] == 1.0 and s[0] == 0.0
    # For very negative z the result is tiny but still accurate in relative terms.
    np.testing.assert_allclose(s[2], np.exp(-30.0) / (1 + np.exp(-30.0)), rtol=1e-14)
    np.testing.assert_array_equal(ds[[0, -1]], [0.0, 0.0])


def test_softmax_sums_to_one_along_axis():
    z = np.random.default_rng(0).normal(size=(5, 7)) * 10
    np.testing.assert_allclose(softmax(z).sum(axis=-1), np.ones(5))
    np.testing.assert_allclose(softmax(z, axis=0).sum(axis=0), np.ones(7))
    naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(z), naive, rtol=1e-12)


@pytest.mark.parametrize("shift", [-50.0, 3.0, 1000.0])
def test_softmax_is_shift_invariant(shift):
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    # A shift of 1000 would overflow exp without subtracting the max (and warn -> error).
    np.testing.assert_allclose(softmax(z + shift), softmax(z), rtol=1e-12)


def test_registry_and_lookup():
    assert set(ACTIVATIONS) == {"relu", "sigmoid", "tanh", "leaky_relu", "linear"}
    assert get_activation("relu") == (relu, relu_grad)
    assert get_activation("sigmoid") == (sigmoid, sigmoid_grad)
    f, f_grad = get_activation("linear")
    np.testing.assert_array_equal(f(Z), Z)
    np.testing.assert_array_equal(f_grad(Z), np.ones_like(Z))


@pytest.mark.parametrize("name", ["softplus", "ReLU", "", None])
def test_unknown_activation_lists_known_names(name):
    with pytest.raises(ValueError, match="unknown activation.*leaky_relu.*relu"):
        get_activation(name)


def test_every_activation_has_a_colour_of_its_own():
    from course_utils.activations import ACTIVATION_COLORS, ACTIVATIONS

    assert set(ACTIVATION_COLORS) == set(ACTIVATIONS)
    assert len(set(ACTIVATION_COLORS.values())) == len(ACTIVATION_COLORS)


# --- dtypes: a float32 network must stay float32 ---------------------------------------------

ALL_FUNCTIONS = [(f"{name}{part}", fn) for name, pair in ACTIVATIONS.items()
                 for part, fn in zip(("", "_grad"), pair, strict=True)]
ALL_FUNCTIONS += [(f"{name}_from_output", fn) for name, fn in DERIVATIVES_FROM_OUTPUT.items()]
ALL_FUNCTIONS += [("softmax", softmax)]


@pytest.mark.parametrize("name, fn", ALL_FUNCTIONS, ids=[n for n, _ in ALL_FUNCTIONS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_in_is_dtype_out(name, fn, dtype):
    z = (Z.reshape(1, -1) * np.ones((3, 1))).astype(dtype)
    out = fn(z)
    assert out.dtype == dtype and out.shape == z.shape


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivatives_of_integer_input_are_float64(name):
    _, f_grad = ACTIVATIONS[name]
    assert f_grad(np.array([-2, 0, 3])).dtype == np.float64


def test_leaky_relu_grad_keeps_float32_for_any_slope():
    out = leaky_relu_grad(np.array([-1.0, 2.0], np.float32), alpha=np.float64(0.3))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.3, 1.0], rtol=1e-7)


# --- the derivative from the output equals the derivative from the input ----------------------


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_from_output_equals_derivative(name):
    assert set(DERIVATIVES_FROM_OUTPUT) == set(ACTIVATIONS)
    f, f_grad = ACTIVATIONS[name]
    z = np.concatenate([Z, [-30.0, 30.0, 0.0]])  # saturated ends, and relu's kink
    np.testing.assert_allclose(DERIVATIVES_FROM_OUTPUT[name](f(z)), f_grad(z), rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_derivative_from_output_is_the_same_numbers_as_the_textbook_expression(name):
    # Computed in place for arrays; the numbers must not move by a single rounding.
    a = ACTIVATIONS[name][0](np.concatenate([Z, [-30.0, 30.0, 0.0]]))
    expected = a * (1.0 - a) if name == "sigmoid" else 1.0 - a * a
    np.testing.assert_array_equal(DERIVATIVES_FROM_OUTPUT[name](a), expected)
    for scalar in (0.25, np.float32(0.25), np.array(0.25)):  # scalars take the plain path
        assert DERIVATIVES_FROM_OUTPUT[name](scalar) == pytest.approx(
            0.25 * 0.75 if name == "sigmoid" else 1 - 0.25**2)
    assert DERIVATIVES_FROM_OUTPUT[name](a.astype(np.float32)).dtype == np.float32
