"""course_utils.landscape: many starts at once, escaping the saddle, basins of attraction."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.landscape import (  # noqa: E402
    basin_map,
    draw_basins,
    escape_steps,
    growth_factor,
    steps_to_escape,
    surface_gradient,
    train_many,
)
from course_utils.schedules import step_lr  # noqa: E402
from course_utils.surfaces import SURFACES  # noqa: E402
from course_utils.trajectories import train_2d  # noqa: E402


@pytest.mark.parametrize("optimizer, hp", [
    ("sgd", {"lr": 0.05}),
    ("momentum", {"lr": step_lr(0.05, 10, 0.5), "gamma": 0.9}),
    ("adam", {"lr": 0.1}),
])
def test_train_many_equals_train_2d_from_every_start(optimizer, hp):
    starts = np.array([[-2.0, 1e-3], [1.5, -0.7], [0.3, 1.2]])
    paths = train_many(optimizer, starts, surface_gradient("saddle"), 40, **hp)
    assert paths.shape == (41, 3, 2)
    for k, start in enumerate(starts):
        expected = train_2d(optimizer, steps=40, start=start, surface="saddle", **hp)
        np.testing.assert_allclose(paths[:, k], expected, rtol=1e-13, atol=1e-15)


def test_train_many_noise_is_seeded_and_diverging_runs_are_silent():
    starts = np.zeros((4, 2))
    grad = surface_gradient("saddle")
    a = train_many("sgd", starts, grad, 30, noise=0.1, seed=1, lr=0.1)
    np.testing.assert_array_equal(a, train_many("sgd", starts, grad, 30, noise=0.1, seed=1, lr=0.1))
    assert not np.array_equal(a[:, 0], a[:, 1])  # each start draws its own noise
    with np.errstate(all="raise"):  # an exploding run raises nothing
        blown = train_many("sgd", [[3.0, 3.0]], surface_gradient("himmelblau"), 50, lr=1.0)
    assert not np.all(np.isfinite(blown[-1]))


def test_train_many_rejects_bad_input():
    grad = surface_gradient("saddle")
    with pytest.raises(ValueError, match=r"starts must have shape \(n, 2\)"):
        train_many("sgd", [1.0, 2.0], grad, 3, lr=0.1)
    with pytest.raises(ValueError, match="starts must be finite"):
        train_many("sgd", [[np.nan, 0.0]], grad, 3, lr=0.1)
    with pytest.raises(TypeError, match="grad must be a function"):
        train_many("sgd", [[0.0, 0.0]], "saddle", 3, lr=0.1)
    with pytest.raises(ValueError, match="takes no hyper-parameter gamma"):
        train_many("sgd", [[0.0, 0.0]], grad, 3, lr=0.1, gamma=0.9)
    with pytest.raises(ValueError, match="steps must be"):
        train_many("sgd", [[0.0, 0.0]], grad, -1, lr=0.1)

    def newtonish(params, grad, state, *, hess, lr=1.0):
        return params, state

    with pytest.raises(ValueError, match="needs hess"):
        train_many(newtonish, [[0.0, 0.0]], grad, 3)


def test_steps_to_escape():
    path = np.array([[0, 0.0], [0, 0.1], [0, -0.6], [0, 0.9]])
    assert steps_to_escape(path) == 2
    assert steps_to_escape(path, threshold=0.95) is None
    many = np.stack([path, path * 0, path * np.nan], axis=1)
    assert steps_to_escape(many) == [2, None, 0]  # nan: diverged, it has left
    with pytest.raises(ValueError, match="threshold"):
        steps_to_escape(path, threshold=0)


def test_sgd_escape_follows_the_growth_factor():
    # On the saddle x2 obeys x2 ← x2·(1 + lr·(1 − x2²)) whatever x1 does: near 0 it grows by
    # 1 + lr per step, so each factor 10 less offset costs ln 10 / ln 1.1 ≈ 24.2 more steps.
    offsets = [1e-4, 1e-6, 1e-8, 1e-10]
    steps = escape_steps("sgd", offsets, lr=0.1)
    per_decade = np.diff(steps) / 2
    factor = growth_factor("sgd", -1.0, lr=0.1)
    assert factor == pytest.approx(1.1)
    np.testing.assert_allclose(per_decade, np.log(10) / np.log(factor), atol=0.5)


def test_momentum_helps_at_the_same_lr_but_not_at_the_same_effective_lr():
    offsets = [1e-3, 1e-6, 1e-9]
    sgd = escape_steps("sgd", offsets, lr=0.1)
    fast = escape_steps("momentum", offsets, lr=0.1, gamma=0.9)
    same_effective = escape_steps("momentum", offsets, lr=0.01, gamma=0.9)  # lr/(1-γ) = 0.1
    assert all(f < s < e for f, s, e in zip(fast, sgd, same_effective, strict=True))
    slope = np.diff(fast)[-1] / 3
    assert slope == pytest.approx(np.log(10) / np.log(growth_factor(
        "momentum", -1.0, lr=0.1, gamma=0.9)), abs=0.7)


def test_no_offset_no_escape_unless_there_is_noise():
    for optimizer, hp in [("sgd", {"lr": 0.1}), ("momentum", {"lr": 0.1, "gamma": 0.9}),
                          ("adam", {"lr": 0.1})]:
        assert escape_steps(optimizer, [0.0], steps=3000, **hp) == [None]
        noisy = escape_steps(optimizer, [0.0, 0.0], steps=3000, noise=1e-3, seed=0, **hp)
        assert all(s is not None for s in noisy)


def test_adam_escapes_in_about_the_same_steps_from_any_offset():
    steps = escape_steps("adam", [1e-2, 1e-6, 1e-10], lr=0.1)
    assert max(steps) - min(steps) <= 3 and max(steps) < 15


def test_growth_factor_closed_forms_and_limits():
    assert growth_factor("sgd", 4.0, lr=0.61) == pytest.approx(1.44)
    lr, gamma, a = 0.1, 0.9, -1.0
    s = 1 - lr * a + gamma  # larger root of λ² − (1 − ηa + γ)λ + γ = 0
    assert growth_factor("momentum", a, lr=lr, gamma=gamma) == pytest.approx(
        (s + np.sqrt(s * s - 4 * gamma)) / 2)
    assert growth_factor("momentum", 4.0, lr=0.61, gamma=0.42) == pytest.approx(np.sqrt(0.42))
    with pytest.raises(ValueError, match="linear step"):
        growth_factor("adam", -1.0, lr=0.1)


def test_basin_map_labels_each_minimum_as_its_own():
    surface = SURFACES["himmelblau"]
    x1, x2, labels = basin_map(surface, "sgd", resolution=41, steps=400, lr=0.01)
    assert labels.shape == (41, 41) and x1[0] == -5.0 and x2[-1] == 5.0
    assert set(np.unique(labels)) == {0, 1, 2, 3}
    for k, (a, b) in enumerate(surface.minima):
        i, j = np.argmin(np.abs(x2 - b)), np.argmin(np.abs(x1 - a))
        assert labels[i, j] == k


def test_basin_map_marks_runs_that_reach_no_minimum():
    _, _, labels = basin_map("himmelblau", "sgd", resolution=11, steps=50, lr=0.05)
    assert (labels == -1).any()  # too large a step: some runs blow up
    _, _, early = basin_map("himmelblau", "sgd", resolution=10, steps=2, lr=1e-4)
    assert (early == -1).all()  # two tiny steps reach nothing


def test_draw_basins():
    fig, ax = plt.subplots()
    draw_basins(ax, basin_map("himmelblau", "sgd", resolution=21, steps=300, lr=0.01),
                "himmelblau")
    assert ax.get_xlim() == (-5.0, 5.0)
    with pytest.raises(ValueError, match="at most"):
        draw_basins(ax, basin_map("rastrigin", "sgd", resolution=5, steps=1, lr=0.01),
                    "rastrigin")
    plt.close(fig)
