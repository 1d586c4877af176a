"""Signal statistics of deep random networks agree with the variance argument of notebook 02."""

import matplotlib

matplotlib.use("Agg")

import functools  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.init import glorot_normal, he_normal  # noqa: E402
from course_utils.random_networks import forward_stats, gain_explorer  # noqa: E402


def test_relu_std_grows_by_the_theoretical_factor_per_layer():
    # Var(z) = n_in·Var(W)·E[h²] + Var(b), E[h²] = Var(z)/2 for relu: sqrt(n/6) with U(-1, 1).
    lecture = forward_stats("relu", depth=20, width=100)
    assert lecture.growth() == pytest.approx(np.sqrt(100 / 6), rel=0.02)
    glorot = forward_stats("relu", glorot_normal, None)
    assert glorot.growth() == pytest.approx(1 / np.sqrt(2), rel=0.03)
    he = forward_stats("relu", he_normal, None)
    assert he.growth() == pytest.approx(1.0, rel=0.03)


def test_tanh_saturates_with_the_lecture_scale_and_not_with_glorot():
    lecture = forward_stats("tanh")
    glorot = forward_stats("tanh", glorot_normal, None)
    assert lecture.saturated[-1] > 0.5 and lecture.mean_slope[-1] < 0.2
    assert glorot.saturated[-1] == 0 and glorot.mean_slope[-1] > 0.9


def test_results_are_reproducible_and_kept_layers_returned():
    a = forward_stats("sigmoid", seed=3, keep=(1, 20))
    b = forward_stats("sigmoid", seed=3)
    np.testing.assert_array_equal(a.std, b.std)
    assert sorted(a.kept) == [1, 20] and a.kept[20].shape == (1000, 100)
    assert np.isclose(a.kept[20].std(), a.std[-1])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="depth"):
        forward_stats("tanh", depth=0)
    with pytest.raises(ValueError, match="unknown activation"):
        forward_stats("swish")
    with pytest.raises(ValueError, match="gain"):
        gain_explorer(gain=10.0)
    with pytest.raises(ValueError, match="activation"):
        gain_explorer("leaky")


def test_the_gain_slider_moves_the_lines_to_the_new_statistics():
    explorer = gain_explorer("relu", gain=1.0, backend="image")
    explorer.sliders["gain"].value = 1.4
    expected = forward_stats("relu", functools.partial(glorot_normal, gain=1.4), None)
    std_line = explorer._artists[0]
    np.testing.assert_allclose(std_line.get_ydata(), expected.std)
    assert explorer.figure.texts[0].get_text().startswith("relu, gain 1.40: layer 20 std")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_slopes_are_the_activation_derivative_at_each_layer(activation):
    # The same draws by hand: inputs, then each layer's W (zero biases), f'(z) from z itself.
    from course_utils.activations import get_activation

    f, f_grad = get_activation(activation)
    stats = forward_stats(activation, glorot_normal, None, depth=4, width=30, n_inputs=200,
                          seed=5)
    rng = np.random.default_rng(5)
    h = rng.normal(size=(200, 30))
    for layer in range(4):
        z = h @ glorot_normal((30, 30), rng)
        h = f(z)
        assert stats.std[layer] == h.std()
        assert stats.mean_slope[layer] == pytest.approx(f_grad(z).mean(), rel=1e-12)
        assert stats.saturated[layer] == (f_grad(z) < 0.01).mean()
