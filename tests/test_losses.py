"""course_utils.losses against torch.nn.functional and against numerical gradients.

The torch values come from tests/fixtures/make_loss_schedule_fixtures.py.
"""

import json
import pathlib

import numpy as np
import pytest

from course_utils import losses, nn
from course_utils.activations import sigmoid
from course_utils.gradcheck import numerical_gradient, relative_error
from course_utils.losses import binary_cross_entropy, mae, mse, softmax_cross_entropy

FIXTURES = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "torch_losses_schedules.json").read_text())

COURSE_NAME = {"l1_loss": mae, "mse_loss": mse, "binary_cross_entropy": binary_cross_entropy,
               "cross_entropy": softmax_cross_entropy}


def _case_id(case):
    return f"{case['loss']}-{np.shape(case['input'])}" + ("-clipped" if case.get("clipped") else "")


@pytest.mark.parametrize("case", FIXTURES["losses"], ids=_case_id)
def test_loss_and_gradient_equal_torch(case):
    first = np.array(case["input"])
    second = np.array(case["target"])
    value, grad = COURSE_NAME[case["loss"]](first, second)
    assert isinstance(value, float)
    assert value == pytest.approx(case["value"], rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grad, case["grad"], rtol=1e-10, atol=1e-15)
    assert grad.shape == first.shape


def test_fixtures_cover_every_loss_and_the_clipped_ends():
    assert {case["loss"] for case in FIXTURES["losses"]} == set(COURSE_NAME)
    assert any(case.get("clipped") for case in FIXTURES["losses"])


@pytest.mark.parametrize("loss", [mae, mse])
def test_regression_losses_match_numerical_gradients(loss):
    rng = np.random.default_rng(0)
    y_pred, y_true = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    _, grad = loss(y_pred, y_true)
    numeric = numerical_gradient(lambda p: loss(p, y_true)[0], y_pred)
    assert relative_error(grad, numeric) < 1e-7


def test_binary_cross_entropy_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    p, t = rng.uniform(0.05, 0.95, size=(5, 4)), rng.uniform(0, 1, size=(5, 4))
    _, grad = binary_cross_entropy(p, t)
    numeric = numerical_gradient(lambda q: binary_cross_entropy(q, t)[0], p)
    assert relative_error(grad, numeric) < 1e-7


def test_softmax_cross_entropy_matches_numerical_gradient():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(7, 5))
    labels = rng.integers(0, 5, size=7)
    _, grad = softmax_cross_entropy(logits, labels)
    numeric = numerical_gradient(lambda z: softmax_cross_entropy(z, labels)[0], logits)
    assert relative_error(grad, numeric) < 1e-7


def test_sigmoid_then_binary_cross_entropy_has_gradient_p_minus_t():
    z = np.linspace(-4, 4, 9)
    t = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1.0])
    p = sigmoid(z)
    _, dp = binary_cross_entropy(p, t)
    dz = dp * p * (1 - p)  # chain rule through the sigmoid
    np.testing.assert_allclose(dz, (p - t) / len(z), rtol=1e-12)


def test_closed_forms():
    loss, grad = mae([3.0, -1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 0.0])
    assert loss == 1.5 and grad.tolist() == [0.25, -0.25, 0.0, 0.25]
    loss, grad = mse([3.0, 0.0], [1.0, 1.0])
    assert loss == 2.5 and grad.tolist() == [2.0, -1.0]
    loss, grad = binary_cross_entropy([0.5, 0.5], [1.0, 0.0])
    assert loss == pytest.approx(np.log(2)) and grad.tolist() == pytest.approx([-1.0, 1.0])
    loss, grad = softmax_cross_entropy(np.zeros((2, 4)), [0, 3])
    assert loss == pytest.approx(np.log(4))
    np.testing.assert_allclose(grad[0], [-0.375, 0.125, 0.125, 0.125])


def test_binary_cross_entropy_is_finite_at_certain_answers():
    with np.errstate(all="raise"):
        loss, grad = binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert loss == pytest.approx(-losses.LOG_FLOOR)  # each log clamped at -100
    assert np.all(np.isfinite(grad))
    right, grad = binary_cross_entropy(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    assert right == 0.0 and not grad.any()


@pytest.mark.parametrize("loss", [mae, mse, binary_cross_entropy])
def test_float32_stays_float32(loss):
    a = np.full((3, 2), 0.25, np.float32)
    b = np.full((3, 2), 0.75, np.float64)
    _, grad = loss(a, b)
    assert grad.dtype == np.float32


def test_softmax_cross_entropy_keeps_float32_and_lives_in_one_place():
    assert nn.softmax_cross_entropy is softmax_cross_entropy
    _, grad = softmax_cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 2]))
    assert grad.dtype == np.float32


def test_integer_inputs_become_float64():
    loss, grad = mse([1, 2], [0, 0])
    assert loss == 2.5 and grad.dtype == np.float64


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: mse(np.zeros(3), np.zeros(4)), ValueError,
         r"y_pred has shape \(3,\) but y_true has shape \(4,\)"),
        (lambda: mae(np.zeros((2, 3)), np.zeros((3, 2))), ValueError, "y_pred has shape"),
        (lambda: mse(np.zeros(0), np.zeros(0)), ValueError, "y_pred is empty"),
        (lambda: mse("1.0", [1.0]), TypeError, "y_pred must be a numeric array"),
        (lambda: mae([1.0], None), TypeError, "y_true must be a numeric array"),
        (lambda: mse(np.array([True]), np.array([1.0])), TypeError, "dtype bool"),
        (lambda: binary_cross_entropy([0.5, 1.2], [0.0, 1.0]), ValueError,
         r"p must hold probabilities in \[0, 1\], got 1.2"),
        (lambda: binary_cross_entropy([0.5, -0.1], [0.0, 1.0]), ValueError, "got -0.1"),
        (lambda: binary_cross_entropy([0.5, np.nan], [0.0, 1.0]), ValueError, "p must hold"),
        (lambda: binary_cross_entropy([0.5, 0.5], [0.0, 2.0]), ValueError,
         r"t must hold probabilities in \[0, 1\], got 2.0"),
        (lambda: binary_cross_entropy([0.5], [0.0, 1.0]), ValueError, "p has shape"),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 3]), ValueError,
         r"labels must be in \[0, 3\) for 3 classes, got 3"),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), [-1, 0]), ValueError, "got -1"),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2]), ValueError,
         r"labels has shape \(3,\) but logits has 2 rows"),
        (lambda: softmax_cross_entropy(np.zeros(3), [0]), ValueError, "logits must be 2-D"),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), [0.0, 1.0]), TypeError,
         "labels must be whole class numbers"),
        (lambda: softmax_cross_entropy(np.zeros((2, 3)), "01"), TypeError, "labels must be"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
