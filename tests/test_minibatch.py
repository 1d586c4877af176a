"""course_utils.minibatch: the Auto MPG regression, mini-batch SGD and the noise-ball theory."""

import numpy as np
import pytest

from course_utils.gradcheck import numerical_gradient, relative_error
from course_utils.losses import mse
from course_utils.minibatch import (
    BATCH_SIZES,
    LinearRegression,
    load_autompg,
    measure_noise_ball,
    minibatch_explorer,
    minibatch_paths,
    noise_ball,
    noise_ball_exact,
    noise_ball_leading_order,
    stationary_noise_ball,
)
from course_utils.schedules import RUN_SCHEDULES, cosine_lr, for_run
from course_utils.trajectories import train_2d

PROBLEM = load_autompg()


def test_the_data_are_the_392_cars_standardised():
    assert PROBLEM.n == 392
    for values in (PROBLEM.x, PROBLEM.y):
        assert values.mean() == pytest.approx(0, abs=1e-12)
        assert values.std() == pytest.approx(1, rel=1e-12)
    w, b = PROBLEM.minimum
    np.testing.assert_allclose([w, b], np.polyfit(PROBLEM.x, PROBLEM.y, 1), atol=1e-12)
    assert w == pytest.approx(np.corrcoef(PROBLEM.x, PROBLEM.y)[0, 1])  # heavier, fewer mpg
    np.testing.assert_allclose(PROBLEM.hessian, 2 * np.eye(2), atol=1e-12)
    assert load_autompg("horsepower").minimum[0] < 0
    with pytest.raises(ValueError, match="feature must be one of"):
        load_autompg("colour")


def test_loss_and_gradient_are_the_course_mse():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=2)
    loss, dpred = mse(w * PROBLEM.x + b, PROBLEM.y)
    assert PROBLEM.loss(w, b) == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(PROBLEM.grad(w, b), [dpred @ PROBLEM.x, dpred.sum()], rtol=1e-12)
    point = np.array([w, b])
    numeric = numerical_gradient(lambda p: PROBLEM.loss(*p), point)
    assert relative_error(PROBLEM.grad(w, b), numeric) < 1e-8
    np.testing.assert_allclose(PROBLEM.full_gradient(point[None]), [PROBLEM.grad(w, b)],
                               atol=1e-12)
    W, B = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 4))
    assert PROBLEM.loss(W, B).shape == (4, 3)


def test_batch_gradients_are_unbiased_with_covariance_sigma_over_b():
    rng = np.random.default_rng(1)
    at_minimum = np.tile(PROBLEM.minimum, (40_000, 1))
    for batch_size in (1, 8):
        g = PROBLEM.batch_gradient(batch_size, rng)(at_minimum)
        assert np.abs(g.mean(axis=0)).max() < 4 * np.sqrt(2.3 / batch_size / 40_000)
        np.testing.assert_allclose(np.cov(g.T), PROBLEM.gradient_noise / batch_size,
                                   rtol=0.05, atol=0.01 / batch_size)


def test_one_example_batches_are_that_examples_gradient():
    point = np.array([[0.3, -0.2]])
    g = PROBLEM.batch_gradient(1, np.random.default_rng(5))(point)
    i = np.random.default_rng(5).integers(0, PROBLEM.n, size=(1, 1))[0, 0]
    r = 0.3 * PROBLEM.x[i] - 0.2 - PROBLEM.y[i]
    np.testing.assert_allclose(g[0], [2 * r * PROBLEM.x[i], 2 * r])


def test_full_batch_paths_are_gradient_descent_on_the_surface():
    surface = PROBLEM.surface()
    paths = minibatch_paths(PROBLEM, None, 30, chains=2, lr=0.1)
    assert paths.shape == (31, 2, 2)
    expected = train_2d("sgd", steps=30, surface=surface, lr=0.1)
    np.testing.assert_allclose(paths[:, 0], expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(paths[:, 0], paths[:, 1])


def test_minibatch_paths_are_seeded_and_chains_differ():
    a = minibatch_paths(PROBLEM, 8, 50, chains=3, seed=2, lr=0.1)
    np.testing.assert_array_equal(a, minibatch_paths(PROBLEM, 8, 50, chains=3, seed=2, lr=0.1))
    assert not np.array_equal(a[:, 0], a[:, 1])
    assert not np.array_equal(a, minibatch_paths(PROBLEM, 8, 50, chains=3, seed=3, lr=0.1))


def test_exact_moments_without_noise_and_against_monte_carlo():
    start = np.array(PROBLEM.surface().start)
    lr = 0.1
    full = noise_ball_exact(PROBLEM, None, lr, 20)
    distance0 = np.sum((start - PROBLEM.minimum) ** 2)
    np.testing.assert_allclose(full, distance0 * (1 - 2 * lr) ** (2 * np.arange(21)), rtol=1e-10)
    # With a batch of 4 and a schedule: the mean squared distance of 4000 runs at a few steps.
    schedule = cosine_lr(0.2, t_max=60, lr_min=0.02)
    theory = noise_ball_exact(PROBLEM, 4, schedule, 80)
    paths = minibatch_paths(PROBLEM, 4, 80, chains=4000, seed=0, lr=schedule)
    squared = np.sum((paths - PROBLEM.minimum) ** 2, axis=-1)
    for t in (5, 20, 50, 80):
        error = squared[t].std() / np.sqrt(4000)
        assert abs(squared[t].mean() - theory[t]) < 4 * error, t


def test_stationary_ball_is_the_long_run_of_the_exact_moments():
    for batch_size, lr in [(1, 0.1), (8, 0.03), (64, 0.3)]:
        long_run = noise_ball_exact(PROBLEM, batch_size, lr, 4000, start=PROBLEM.minimum)[-1]
        assert stationary_noise_ball(PROBLEM, batch_size, lr) == pytest.approx(
            np.sqrt(long_run), rel=1e-6)


def test_leading_order_closed_form_and_its_limit():
    h, trace = 2.0, np.trace(PROBLEM.gradient_noise)
    for batch_size, lr in [(1, 0.01), (8, 0.1), (64, 0.3)]:
        closed = np.sqrt(lr * trace / (batch_size * h * (2 - lr * h)))
        assert noise_ball_leading_order(PROBLEM, batch_size, lr) == pytest.approx(closed,
                                                                                   rel=1e-6)
    # small steps or big batches: the exact ball approaches the leading order
    assert stationary_noise_ball(PROBLEM, 64, 0.003) == pytest.approx(
        noise_ball_leading_order(PROBLEM, 64, 0.003), rel=1e-3)
    assert stationary_noise_ball(PROBLEM, 1, 0.1) > 1.05 * noise_ball_leading_order(
        PROBLEM, 1, 0.1)
    assert noise_ball_leading_order(PROBLEM, 8, 1.0) == float("inf")
    assert stationary_noise_ball(PROBLEM, 1, 0.9) == float("inf")


def test_measured_ball_matches_the_exact_theory():
    for batch_size, lr in [(1, 0.03), (8, 0.1)]:
        measured = measure_noise_ball(PROBLEM, batch_size, lr, steps=1500, burn_in=300,
                                      chains=200, seed=1)
        assert measured == pytest.approx(stationary_noise_ball(PROBLEM, batch_size, lr),
                                         rel=0.04)


def test_noise_ball_of_known_points():
    paths = np.zeros((4, 2, 2))
    paths[:, :, 0] = 3.0
    paths[0] = 100.0  # burnt in
    assert noise_ball(paths, (0.0, 0.0), burn_in=1) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="burn_in"):
        noise_ball(paths, (0.0, 0.0), burn_in=4)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="batch_size must be a whole number >= 1"):
        minibatch_paths(PROBLEM, 0, 10, lr=0.1)
    with pytest.raises(ValueError, match="chains must be"):
        minibatch_paths(PROBLEM, 8, 10, chains=0, lr=0.1)
    with pytest.raises(ValueError, match="lr must be"):
        stationary_noise_ball(PROBLEM, 8, -0.1)
    with pytest.raises(ValueError, match="lr must be"):
        noise_ball_exact(PROBLEM, 8, lambda t: -1.0, 3)
    with pytest.raises(ValueError, match="equally long"):
        LinearRegression(np.arange(3.0), np.arange(4.0))
    with pytest.raises(ValueError, match="finite"):
        LinearRegression([0.0, np.nan], [1.0, 2.0])


def test_run_schedules():
    assert RUN_SCHEDULES == ("constant", "step", "exponential", "cosine", "warmup")
    steps = 200
    assert for_run("constant", 0.1, steps)(150) == 0.1
    assert for_run("step", 0.1, steps)(50) == 0.05
    assert for_run("exponential", 0.1, steps)(steps) == pytest.approx(0.001)
    assert for_run("cosine", 0.1, steps)(steps) == 0.0
    assert for_run("warmup", 0.1, steps)(0) == pytest.approx(0.01)
    assert for_run("warmup", 0.1, steps)(20) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="schedule must be one of"):
        for_run("linear", 0.1, steps)


def test_explorer_follows_its_controls():
    explorer = minibatch_explorer(PROBLEM, steps=100, batch_size=8, lr=0.1, backend="image")
    assert set(explorer.sliders) == {"batch_size", "lr", "schedule"}
    path = explorer.trajectory["path"]
    np.testing.assert_array_equal(
        path, minibatch_paths(PROBLEM, 8, 100, seed=0, lr=for_run("constant", 0.1, 100))[:, 0])
    assert explorer.trajectory["radius"] == pytest.approx(stationary_noise_ball(PROBLEM, 8, 0.1))
    explorer.sliders["batch_size"].value = 64
    assert explorer.trajectory["radius"] == pytest.approx(stationary_noise_ball(PROBLEM, 64, 0.1))
    explorer.sliders["schedule"].value = "cosine"
    assert explorer.trajectory["radius"] < 0.005  # the rate at the last step is nearly 0
    explorer.sliders["batch_size"].value = "full"
    assert explorer.trajectory["radius"] == 0.0
    np.testing.assert_allclose(explorer.trajectory["path"],
                               train_2d("sgd", steps=100, surface=PROBLEM.surface(),
                                        lr=cosine_lr(0.1, 100)), rtol=1e-12, atol=1e-14)
    explorer.sliders["schedule"].value = "constant"
    explorer.sliders["lr"].value = 1.0  # unstable with noise: drawn, labelled, no error
    explorer.sliders["batch_size"].value = 1
    assert "unstable" in explorer.figure.axes[0].get_title()
    assert BATCH_SIZES[-1] is None
    with pytest.raises(ValueError, match="batch_size must be one of"):
        minibatch_explorer(PROBLEM, batch_size=3)
