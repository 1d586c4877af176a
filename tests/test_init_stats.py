import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.activations import get_activation  # noqa: E402
from course_utils.init_stats import (  # noqa: E402
    SCHEMES,
    activation_stats,
    init_explorer,
)


def _replay(init, activation, depth, width, n_samples, seed):
    """The same network written out by hand: draws in the documented order, plain numpy."""
    f, f_grad = get_activation(activation)
    initializer = SCHEMES[init][0]
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_samples, width))
    weights = [initializer((width, width), rng) for _ in range(depth)]
    inputs, zs = [], []
    for W in weights:
        inputs.append(a)
        zs.append(a @ W)
        a = f(zs[-1])
    da = rng.standard_normal(a.shape)
    dzs, dWs = [None] * depth, [None] * depth
    for layer in reversed(range(depth)):
        dzs[layer] = da * f_grad(zs[layer])
        dWs[layer] = inputs[layer].T @ dzs[layer]
        da = dzs[layer] @ weights[layer].T
    return zs, dzs, dWs


@pytest.mark.parametrize(("init", "activation"), [("glorot_normal", "tanh"), ("he_uniform", "relu"),
                                                  ("uniform_pm1", "sigmoid")])
def test_matches_a_hand_written_forward_and_backward(init, activation):
    f, _ = get_activation(activation)
    stats = activation_stats(init, activation, depth=4, width=16, n_samples=8, rng=3,
                             weight_grads=True)
    zs, dzs, dWs = _replay(init, activation, 4, 16, 8, seed=3)
    np.testing.assert_allclose(stats.act_std, [f(z).std() for z in zs], rtol=1e-12)
    np.testing.assert_allclose(stats.act_mean, [f(z).mean() for z in zs], rtol=1e-12)
    np.testing.assert_allclose(stats.grad_std, [dz.std() for dz in dzs], rtol=1e-12)
    np.testing.assert_allclose(stats.grad_mean, [dz.mean() for dz in dzs], rtol=1e-10)
    np.testing.assert_allclose(stats.weight_grad_std, [dW.std() for dW in dWs], rtol=1e-12)
    # Without weight gradients the rest is the same.
    lean = activation_stats(init, activation, depth=4, width=16, n_samples=8, rng=3)
    assert lean.weight_grad_std is None
    np.testing.assert_allclose(lean.grad_std, stats.grad_std, rtol=1e-12)


def test_shapes_seed_and_kept_layers():
    stats = activation_stats("he_normal", "relu", depth=12, width=32, n_samples=64, rng=0,
                             keep=(1, 5, 12))
    for values in (stats.act_mean, stats.act_std, stats.grad_mean, stats.grad_std):
        assert values.shape == (12,)
    np.testing.assert_array_equal(stats.layers, np.arange(1, 13))
    assert sorted(stats.kept) == [1, 5, 12]
    assert stats.kept[5].shape == (64, 32)
    assert stats.kept[5].std() == stats.act_std[4]
    again = activation_stats("he_normal", "relu", depth=12, width=32, n_samples=64, rng=0)
    np.testing.assert_array_equal(again.grad_std, stats.grad_std)
    # The first layers do not depend on how many follow.
    shorter = activation_stats("he_normal", "relu", depth=5, width=32, n_samples=64, rng=0)
    np.testing.assert_array_equal(shorter.act_std, stats.act_std[:5])


def test_glorot_keeps_a_linear_network_at_unit_variance():
    # Square layers: Var(W) = 2/(n + n) = 1/n, so Var(z) = n·Var(W)·Var(x) stays 1 both ways.
    stats = activation_stats("glorot_normal", "linear", depth=20, rng=0)
    np.testing.assert_allclose(stats.act_std, 1.0, rtol=0.15)
    np.testing.assert_allclose(stats.grad_std, 1.0, rtol=0.15)


def test_small_uniform_shrinks_a_linear_network_by_the_predicted_factor():
    width = 256
    factor = np.sqrt(width * 0.1**2 / 12)  # √(n·Var(W)), Var of Uniform(−0.05, 0.05)
    stats = activation_stats("random_uniform", "linear", depth=10, width=width, rng=1)
    ratios = stats.act_std[1:] / stats.act_std[:-1]
    np.testing.assert_allclose(ratios, factor, rtol=0.05)
    np.testing.assert_allclose(stats.grad_std[:-1] / stats.grad_std[1:], factor, rtol=0.05)


def test_he_gives_relu_unit_second_moment_after_the_first_layer():
    # Var(z1) = n·(2/n)·1 = 2, and relu keeps half of it: E[a1²] = 1.
    stats = activation_stats("he_normal", "relu", depth=1, rng=0)
    second_moment = stats.act_std[0] ** 2 + stats.act_mean[0] ** 2
    assert abs(second_moment - 1) < 0.03


def test_extreme_settings_stay_finite_without_warnings():
    for init, activation in [("truncated_normal", "relu"), ("random_uniform", "sigmoid")]:
        stats = activation_stats(init, activation, depth=50, width=64, n_samples=64, rng=0,
                                 weight_grads=True)
        for values in (stats.act_std, stats.grad_std, stats.weight_grad_std):
            assert np.all(np.isfinite(values)) and np.all(values > 0)


def test_library_names_and_callables_are_accepted():
    a = activation_stats("he_normal", "relu", depth=3, width=8, n_samples=4, rng=0)
    b = activation_stats(SCHEMES["he_normal"][0], "relu", depth=3, width=8, n_samples=4, rng=0)
    np.testing.assert_array_equal(a.act_std, b.act_std)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"init": "zeros"}, "initializer"), ({"activation": "swish"}, "activation"),
     ({"depth": 0}, "depth"), ({"depth": 2.5}, "depth")],
)
def test_bad_arguments(kwargs, match):
    args = {"init": "he_normal", "activation": "relu", "depth": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        activation_stats(args["init"], args["activation"], args["depth"], width=4, n_samples=2)


def _line(explorer, k):
    return np.column_stack(explorer._artists[k].get_data())


def test_explorer_follows_its_controls_without_rebuilding():
    explorer = init_explorer(backend="image", width=32, n_samples=16)
    assert list(explorer.sliders) == ["init", "activation", "depth"]
    assert repr(explorer) == "Explorer(sliders=['init', 'activation', 'depth'], backend='image')"
    n_lines = [len(ax.lines) for ax in explorer.figure.axes]
    before = explorer.view.value
    explorer.sliders["init"].value = "uniform_pm1"
    explorer.sliders["activation"].value = "relu"
    explorer.sliders["depth"].value = 35
    expected = activation_stats("uniform_pm1", "relu", 35, width=32, n_samples=16, rng=0)
    np.testing.assert_array_equal(explorer.trajectory.act_std, expected.act_std)
    np.testing.assert_allclose(_line(explorer, 0), np.column_stack([np.arange(1, 36),
                                                                    expected.act_std]))
    np.testing.assert_allclose(_line(explorer, 1), np.column_stack([np.arange(1, 36),
                                                                    expected.grad_std]))
    assert [len(ax.lines) for ax in explorer.figure.axes] == n_lines
    assert explorer.view.value != before
    assert explorer.figure.texts[0].get_text().startswith("uniform ±1, relu, 35 layers")


def test_init_explorer_fits_an_output_area_and_reads_depths_off_one_network():
    from course_utils.init_stats import DEPTH_RANGE

    explorer = init_explorer(backend="image", width=32, n_samples=16)
    width_px = explorer.figure.get_size_inches()[0] * explorer.figure.dpi
    assert width_px <= 840  # a 1 280 px window with the file browser open leaves ~848 px
    for depth in (DEPTH_RANGE[0], 33, DEPTH_RANGE[1]):
        explorer.sliders["depth"].value = depth
        expected = activation_stats("glorot_normal", "tanh", depth, width=32, n_samples=16, rng=0)
        np.testing.assert_array_equal(explorer.trajectory.grad_std, expected.grad_std)
        np.testing.assert_array_equal(explorer.trajectory.act_std, expected.act_std)
