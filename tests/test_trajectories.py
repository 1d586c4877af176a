import warnings

import numpy as np
import pytest

from course_utils.functions import f_2d, f_2d_grad, loss_1d_grad
from course_utils.optimizers import OPTIMIZERS, momentum, sgd
from course_utils.trajectories import train_1d, train_2d


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_train_2d_shape_and_start(name):
    path = train_2d(name, steps=17)
    assert path.shape == (18, 2)
    np.testing.assert_array_equal(path[0], [-5.0, -2.0])


def test_train_2d_is_the_step_function_applied_in_turn():
    path = train_2d("momentum", steps=5, start=(1.0, 2.0), lr=0.1, gamma=0.5)
    x, state = np.array([1.0, 2.0]), {}
    for row in path[1:]:
        x, state = momentum(x, f_2d_grad(*x), state, lr=0.1, gamma=0.5)
        np.testing.assert_array_equal(row, x)


def test_train_2d_accepts_a_step_function_and_another_surface():
    path = train_2d(sgd, steps=3, grad=lambda a, b: np.array([2 * a, 2 * b]), lr=0.25)
    np.testing.assert_allclose(path[:, 0], -5.0 * 0.5 ** np.arange(4))


def test_sgd_on_f_2d_converges_below_half_and_diverges_above():
    # The x2 direction has curvature 4: each step multiplies x2 by (1 − 4η).
    path = train_2d("sgd", steps=50, lr=0.42)
    np.testing.assert_allclose(path[:, 1], -2.0 * (1 - 4 * 0.42) ** np.arange(51), rtol=1e-12)
    assert f_2d(*path[-1]) < 1e-3
    assert f_2d(*train_2d("sgd", steps=50, lr=0.61)[-1]) > 1e10


def test_train_1d_matches_closed_form():
    for lr in (0.1, 0.9, 1.04):
        path = train_1d("sgd", steps=20, lr=lr)
        assert path.shape == (21,)
        np.testing.assert_allclose(path, (1 - 2 * lr) ** np.arange(21), rtol=1e-12)


def test_train_1d_uses_the_given_gradient():
    path = train_1d("sgd", steps=2, start=2.0, grad=lambda t: 3 * loss_1d_grad(t), lr=0.1)
    np.testing.assert_allclose(path, [2.0, 0.8, 0.32])


def test_diverging_runs_return_their_path_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = train_2d("sgd", steps=1000, lr=1.5)
        path_1d = train_1d("sgd", steps=2000, lr=5.0)
    assert path.shape == (1001, 2) and not np.all(np.isfinite(path[-1]))
    assert not np.isfinite(path_1d[-1])
    assert np.isfinite(path[:5]).all()


def test_zero_steps_is_just_the_start():
    np.testing.assert_array_equal(train_2d("adam", steps=0), [[-5.0, -2.0]])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer": "adamw"}, "unknown optimizer 'adamw'"),
        ({"optimizer": "sgd", "learning_rate": 0.1}, "sgd takes no hyper-parameter learning_rate"),
        ({"optimizer": "sgd", "steps": -1}, "steps must be"),
        ({"optimizer": "sgd", "steps": 2.5}, "steps must be"),
        ({"optimizer": "adam", "beta2": 1.0}, r"beta2 must be .*in \[0, 1\)"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_2d(**kwargs)


def test_steps_to_reach():
    from course_utils.trajectories import steps_to_reach

    path = train_2d("sgd", steps=200, lr=0.42)
    n = steps_to_reach(path)
    assert np.linalg.norm(path[n]) < 1e-2 <= np.linalg.norm(path[n - 1])
    assert steps_to_reach(train_2d("sgd", steps=200, lr=0.61)) is None
    assert steps_to_reach(train_1d("sgd", lr=0.5)) == 1
    assert steps_to_reach(np.array([[1.0, 1.0], [0.5, 0.5]]), tol=1.0, target=(1.0, 0.5)) == 0


def test_train_2d_with_states_records_each_state():
    from course_utils.trajectories import train_2d_with_states

    path, states = train_2d_with_states("adagrad", steps=3, lr=1.0)
    np.testing.assert_array_equal(path, train_2d("adagrad", steps=3, lr=1.0))
    assert len(states) == 3
    grads = [f_2d_grad(*p) for p in path[:3]]
    np.testing.assert_allclose(states[2]["G"], sum(g**2 for g in grads))
    np.testing.assert_allclose(states[0]["G"], grads[0] ** 2)


def test_steps_to_reach_can_ask_to_stay():
    from course_utils.trajectories import distance_to, steps_to_reach

    path = np.array([[1.0, 0.0], [0.001, 0.0], [0.5, 0.0], [0.002, 0.0], [0.001, 0.0]])
    assert steps_to_reach(path) == 1
    assert steps_to_reach(path, stay=True) == 3
    assert steps_to_reach(path[:3], stay=True) is None
    np.testing.assert_allclose(distance_to(path[:1], target=(1.0, 1.0)), [1.0])
    assert distance_to(np.array([[np.inf, np.nan]]))[0] == np.inf


def test_train_2d_with_states_can_start_from_a_given_state():
    from course_utils.trajectories import train_2d_with_states

    # Starting AdaGrad at G = eps reproduces the lecture's η/√(G + ε) form.
    path, _ = train_2d_with_states("adagrad", steps=1, state={"G": 1e-6}, lr=1.0, eps=1e-300)
    g = f_2d_grad(-5.0, -2.0)
    np.testing.assert_allclose(path[1], [-5.0, -2.0] - g / np.sqrt(g**2 + 1e-6))


# --- surfaces, noise, schedules, limits ---------------------------------------------------------


def test_train_2d_on_a_named_surface_starts_at_its_start():
    from course_utils.surfaces import SURFACES

    path = train_2d("sgd", steps=3, surface="rosenbrock", lr=1e-3)
    np.testing.assert_array_equal(path[0], SURFACES["rosenbrock"].start)
    g = SURFACES["rosenbrock"].grad(*path[0])
    np.testing.assert_allclose(path[1], path[0] - 1e-3 * g)


def test_grad_overrides_the_surface_gradient_and_old_calls_keep_working():
    path = train_2d("sgd", 3, (-5.0, -2.0), grad=f_2d_grad, lr=0.1)
    np.testing.assert_array_equal(path, train_2d("sgd", steps=3, lr=0.1))


def test_noise_is_seeded_gaussian_and_added_to_every_component():
    a = train_2d("sgd", steps=200, noise=0.5, seed=3, lr=0.1)
    np.testing.assert_array_equal(a, train_2d("sgd", steps=200, noise=0.5, seed=3, lr=0.1))
    assert not np.array_equal(a, train_2d("sgd", steps=200, noise=0.5, seed=4, lr=0.1))
    # With lr = 1 on a surface of zero gradient, each step is minus the noise itself.
    flat = train_2d("sgd", steps=4000, grad=lambda a, b: np.zeros(2), noise=0.5, seed=3, lr=1.0)
    steps = -np.diff(flat, axis=0)
    assert abs(steps.mean()) < 0.03 and steps.std() == pytest.approx(0.5, rel=0.03)
    np.testing.assert_allclose(steps[0], np.random.default_rng(3).normal(0.0, 0.5, 2), rtol=1e-12)


def test_lr_may_be_a_schedule_of_the_step_number():
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1 / (1 + t)

    path = train_2d("sgd", steps=4, lr=schedule)
    assert seen == [0, 1, 2, 3]
    x = np.array([-5.0, -2.0])
    for t in range(4):
        x = x - 0.1 / (1 + t) * f_2d_grad(*x)
        np.testing.assert_allclose(path[t + 1], x)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"steps": None}, TypeError, "steps must be a whole number, got None"),
        ({"steps": float("nan")}, ValueError, "steps must be"),
        ({"steps": float("inf")}, ValueError, "steps must be"),
        ({"steps": 10**7}, ValueError, r"steps must be a whole number in \[0, 100000\]"),
        ({"noise": -0.1}, ValueError, "noise must be"),
        ({"noise": "a lot"}, TypeError, "noise must be a real number"),
        ({"lr": "0.1"}, TypeError, r"lr must be a real number, got '0.1' \(str\)"),
        ({"lr": None}, TypeError, "lr must be a real number, got None"),
        ({"lr": np.array([0.1, 0.2])}, TypeError, "lr must be a single real number"),
        ({"grad": 3}, TypeError, "grad must be a function"),
        ({"start": (np.nan, 0.0)}, ValueError, "start must have finite coordinates"),
        ({"steps": 0, "lr": -1.0}, ValueError, "lr must be"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, message):
    with pytest.raises(error, match=message):
        train_2d("sgd", **kwargs)


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam", "adadelta"])
def test_infinite_eps_is_rejected(name):
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got inf"):
        train_2d(name, eps=float("inf"))
