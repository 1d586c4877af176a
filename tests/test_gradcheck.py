"""course_utils.gradcheck on functions whose derivatives are known."""

import numpy as np
import pytest

from course_utils.gradcheck import numerical_gradient, relative_error


def test_gradient_of_sum_of_cubes():
    x = np.random.default_rng(0).standard_normal((3, 4))
    numeric = numerical_gradient(lambda v: np.sum(v**3), x)
    assert numeric.shape == x.shape and numeric.dtype == x.dtype
    assert relative_error(numeric, 3 * x**2) < 1e-9
    # a wrong derivative is caught
    assert relative_error(numeric, 2 * x**2) > 0.1


def test_gradients_of_a_matrix_product():
    rng = np.random.default_rng(1)
    X, W, R = rng.standard_normal((5, 3)), rng.standard_normal((3, 2)), rng.standard_normal((5, 2))

    def loss(_):  # L = Σ (X·W) ∘ R, read through the closure: dL/dW = Xᵀ·R, dL/dX = R·Wᵀ
        return np.sum((X @ W) * R)

    assert relative_error(numerical_gradient(loss, W), X.T @ R) < 1e-9
    assert relative_error(numerical_gradient(loss, X), R @ W.T) < 1e-9


def test_gradient_of_a_vector_function_and_of_a_view():
    x = np.linspace(-1.0, 1.0, 7)
    assert relative_error(numerical_gradient(lambda v: np.sum(np.exp(v)), x), np.exp(x)) < 1e-9
    big = np.arange(12.0).reshape(3, 4) / 10
    column = big[:, 1]  # not contiguous: the entries of big are changed through the view
    grad = numerical_gradient(lambda v: np.sum(np.sin(v)), column)
    assert relative_error(grad, np.cos(column)) < 1e-9


def test_input_is_restored():
    x = np.random.default_rng(2).standard_normal((4, 3))
    before = x.copy()
    numerical_gradient(lambda v: np.sum(v**3), x)
    assert np.array_equal(x, before)


def test_input_is_restored_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])

    def f(v):
        if v[0] > 1.0:
            raise RuntimeError("boom")
        return np.sum(v)

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert np.array_equal(x, [1.0, 2.0, 3.0])


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match="float"):
        numerical_gradient(np.sum, np.arange(3))


def test_step_size_h():
    # For f = Σ x³ the central difference is exactly 3x² + h², so h shows in the error.
    x = np.array([0.5, -2.0])
    np.testing.assert_allclose(
        numerical_gradient(lambda v: np.sum(v**3), x, h=1e-2), 3 * x**2 + 1e-4, rtol=1e-9
    )


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    assert relative_error([2.0, -4.0], [2.0, -3.0]) == pytest.approx(1 / 7)
    # entries near zero in both arrays do not dominate: the scale is that of the whole array
    assert relative_error([1.0, 1e-12], [1.0, 2e-12]) == pytest.approx(1e-12 / 2)
    with pytest.raises(ValueError, match="shapes"):
        relative_error(np.zeros(2), np.zeros(3))
