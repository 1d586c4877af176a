"""Newton, BFGS, L-BFGS and coordinate descent against theory and scipy.optimize."""

import warnings

import numpy as np
import pytest
import scipy.optimize

from course_utils.curvature import (
    bfgs,
    coordinate_descent,
    ellipse,
    gauss_seidel_rate,
    inverse_hessian_estimate,
    lbfgs,
    line_search,
    newton,
    second_order_costs,
)
from course_utils.optimizers import OPTIMIZERS
from course_utils.surfaces import SURFACES, rotated_ravine
from course_utils.trajectories import distance_to, steps_to_reach, train_2d, train_2d_with_states

CURVATURE = ["newton", "bfgs", "lbfgs", "coordinate_descent"]


def quadratic(A, b):
    """f(x) = ½·xᵀAx − bᵀx with its gradient and Hessian."""
    return (lambda x: 0.5 * x @ A @ x - b @ x), (lambda x: A @ x - b), (lambda x: A)


def random_pd(rng, n, low=1.0, high=10.0):
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return Q @ np.diag(np.linspace(low, high, n)) @ Q.T


def run(step, x, f, g, steps, **hp):
    """The step applied in turn, as train_2d does, for any dimension; returns points and states."""
    points, states, state = [x], [], {}
    for _ in range(steps):
        x, state = step(x, g(x), state, **hp)
        points.append(x)
        states.append(state)
    return np.array(points), states


# --- Newton ------------------------------------------------------------------------------------


@pytest.mark.parametrize("surface", [SURFACES["ravine"], rotated_ravine(30.0),
                                     rotated_ravine(45.0), rotated_ravine(80.0)], ids=repr)
def test_newton_reaches_the_minimum_of_the_ravines_in_one_step_from_anywhere(surface):
    rng = np.random.default_rng(0)
    for start in rng.uniform(-5, 5, size=(10, 2)):
        path = train_2d("newton", steps=1, start=start, surface=surface)
        np.testing.assert_allclose(path[1], [0.0, 0.0], atol=1e-12)


def test_newton_is_exact_in_one_step_on_random_positive_definite_quadratics():
    rng = np.random.default_rng(1)
    for _ in range(50):
        M = rng.normal(size=(2, 2))
        A = M @ M.T + 0.1 * np.eye(2)
        b = rng.normal(size=2)
        _, g, h = quadratic(A, b)
        x0 = rng.normal(size=2) * 10
        x1, state = newton(x0, g(x0), {}, hess=h)
        np.testing.assert_allclose(x1, np.linalg.solve(A, b), rtol=1e-10, atol=1e-10)
        assert state["hessian"] == "positive definite" and not state["uphill"]


def test_large_damping_tends_to_a_gradient_step_of_size_lr_over_damping():
    x, lr = np.array([-1.2, 1.0]), 0.5
    surface = SURFACES["rosenbrock"]
    g = surface.grad(*x)
    hess = lambda p: surface.hessian(*p)  # noqa: E731
    errors = []
    for damping in (1e4, 1e6, 1e8):
        new, _ = newton(x, g, {}, hess=hess, lr=lr, damping=damping)
        gradient_step = x - lr / damping * g
        errors.append(np.linalg.norm(new - gradient_step) / np.linalg.norm(lr / damping * g))
    # The gap is (H/λ)·g relative to g: it shrinks like 1/λ (‖H‖ ≈ 1e3 here).
    assert errors[0] < 0.2 and errors[1] < 2e-3 and errors[2] < 2e-5
    np.testing.assert_allclose(errors[1] / errors[2], 100, rtol=0.01)


def test_undamped_newton_jumps_to_the_saddle_and_damping_escapes_it():
    path, states = train_2d_with_states("newton", steps=3, surface="saddle")
    assert states[0]["hessian"] == "indefinite"
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-15)
    escaped = train_2d("newton", steps=50, surface="saddle", damping=2.0)
    assert distance_to(escaped, (0.0, 1.0))[-1] < 1e-6


def test_singular_and_indefinite_hessians_give_a_path_without_warnings_and_say_so():
    singular = lambda p: np.array([[1.0, 1.0], [1.0, 1.0]])  # noqa: E731
    indefinite = lambda p: np.array([[1.0, 0.0], [0.0, -2.0]])  # noqa: E731
    g = np.array([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, state = newton(np.zeros(2), g, {}, hess=singular)
        assert state["hessian"] == "singular" and np.all(np.isfinite(x))
        # The pseudo-inverse step: no move along the flat direction (1, −1)/√2.
        assert abs((x[0] - x[1])) < 1e-12
        np.testing.assert_allclose(x, -np.linalg.pinv(singular(x)) @ g)
        x, state = newton(np.zeros(2), g, {}, hess=indefinite)
        assert state["hessian"] == "indefinite"
        np.testing.assert_allclose(x, [-1.0, 1.0])
        assert state["uphill"]  # along x2 the step climbs: g·Δθ > 0
        zero = lambda p: np.zeros((2, 2))  # noqa: E731
        x, state = newton(np.ones(2), g, {}, hess=zero)
        assert state["hessian"] == "singular"
        np.testing.assert_array_equal(x, np.ones(2))
        # On surfaces: Himmelblau's start sits in a negative-definite bowl around a maximum.
        path, states = train_2d_with_states("newton", steps=20, surface="himmelblau")
        assert states[0]["hessian"] == "negative definite"
        assert np.all(np.isfinite(path))
        for name in ("plateau", "rastrigin"):
            assert train_2d("newton", steps=100, surface=name).shape == (101, 2)


def test_newton_on_a_line_of_zero_curvature_stalls_and_says_singular():
    start = (-2.0, 1 / np.sqrt(3))  # the saddle surface's ∂²f/∂x2² = 3·x2² − 1 vanishes here
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path, states = train_2d_with_states("newton", steps=3, start=start, surface="saddle")
    assert all(s["hessian"] == "singular" for s in states)
    np.testing.assert_allclose(path[1:], [[0.0, start[1]]] * 3, atol=1e-15)
    damped = train_2d("newton", steps=30, start=start, surface="saddle", damping=0.5)
    assert distance_to(damped, (0.0, 1.0))[-1] < 1e-6


def test_newton_counts_one_gradient_and_one_hessian_per_step():
    _, states = train_2d_with_states("newton", steps=7, surface="rosenbrock")
    assert states[-1]["evaluations"] == {"fun": 0, "grad": 7, "hess": 7}


# --- BFGS and L-BFGS -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 5, 10])
def test_bfgs_with_exact_line_search_terminates_in_n_steps_with_the_true_inverse(n):
    rng = np.random.default_rng(n)
    A, b = random_pd(rng, n), rng.normal(size=n)
    f, g, _ = quadratic(A, b)
    x_star = np.linalg.solve(A, b)
    path, states = run(bfgs, rng.normal(size=n), f, g, n, fun=f, grad_fn=g, c1=1e-12, c2=1e-10)
    assert np.linalg.norm(path[n] - x_star) <= 1e-8 * np.linalg.norm(x_star)
    assert np.linalg.norm(path[n - 1] - x_star) > 1e-6  # not earlier: every step is needed
    H = inverse_hessian_estimate(states[n - 1])
    A_inv = np.linalg.inv(A)
    assert np.linalg.norm(H - A_inv) <= 1e-8 * np.linalg.norm(A_inv)


def test_lbfgs_with_exact_line_search_terminates_in_n_steps_even_with_memory_one():
    # With exact line searches on a quadratic, L-BFGS makes conjugate directions: the
    # conjugate-gradient iterates, whatever its memory.
    rng = np.random.default_rng(7)
    n = 6
    A, b = random_pd(rng, n), rng.normal(size=n)
    f, g, _ = quadratic(A, b)
    for memory in (1, 3, 10):
        path, states = run(lbfgs, np.zeros(n), f, g, n, fun=f, grad_fn=g, memory=memory,
                           c1=1e-12, c2=1e-10)
        assert np.linalg.norm(path[n] - np.linalg.solve(A, b)) < 1e-8
        assert max(len(s["s"]) for s in states) == min(memory, n)


def test_lbfgs_estimate_meets_the_secant_equation_and_equals_bfgs_on_one_pair():
    surface = SURFACES["rosenbrock"]
    _, states = train_2d_with_states("lbfgs", steps=6, surface="rosenbrock", memory=3)
    H = inverse_hessian_estimate(states[-1])
    s, y = states[-1]["s"][-1], states[-1]["y"][-1]
    np.testing.assert_allclose(H @ y, s, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(H) > 0) and surface.name == "rosenbrock"


def _scipy_iterations(method):
    surface = SURFACES["rosenbrock"]
    options = {"gtol": 1e-10, "maxiter": 1000}
    if method == "L-BFGS-B":
        options["ftol"] = 1e-15  # else it stops on a relative change of f, short of 1e-6
    result = scipy.optimize.minimize(lambda p: surface.f(*p), [-1.2, 1.0], method=method,
                                     jac=lambda p: surface.grad(*p), options=options)
    assert np.linalg.norm(result.x - 1.0) < 1e-6
    return result.nit


@pytest.mark.parametrize("name, method", [("bfgs", "BFGS"), ("lbfgs", "L-BFGS-B")])
def test_bfgs_and_lbfgs_reach_the_rosenbrock_minimum_in_as_many_steps_as_scipy(name, method):
    path = train_2d(name, steps=200, surface="rosenbrock")
    ours = steps_to_reach(path, 1e-6, target=(1.0, 1.0), stay=True)
    theirs = _scipy_iterations(method)
    assert ours is not None and distance_to(path, (1.0, 1.0))[-1] < 1e-6
    # Same method, other line search details: within a third of scipy's count either way.
    assert 0.75 * theirs <= ours <= 1.34 * theirs, (ours, theirs)


def test_bfgs_counts_every_evaluation_it_makes():
    surface = SURFACES["rosenbrock"]
    calls = {"fun": 0, "grad": 0}

    def fun(p):
        calls["fun"] += 1
        return surface.f(*p)

    def grad_fn(p):
        calls["grad"] += 1
        return surface.grad(*p)

    x, state = np.array([-1.2, 1.0]), {}
    for _ in range(30):
        x, state = bfgs(x, surface.grad(*x), state, fun=fun, grad_fn=grad_fn)
    # The gradient handed in is the one the line search computed at the accepted point:
    # only the first step's is new.
    assert state["evaluations"] == {"fun": calls["fun"], "grad": calls["grad"] + 1, "hess": 0}


def test_the_bfgs_state_keeps_its_estimate_positive_definite_on_rosenbrock():
    _, states = train_2d_with_states("bfgs", steps=60, surface="rosenbrock")
    for state in states:
        assert np.all(np.linalg.eigvalsh(state["inverse_hessian"]) > 0)
    assert all(s["line_search"] in ("wolfe", "stationary", "trial limit") for s in states)


# --- line search --------------------------------------------------------------------------------


def test_line_search_is_exact_on_a_quadratic_with_a_tiny_c2():
    calls = []

    def phi(alpha):  # φ(α) = 3(α − 0.37)², so φ'(0) < 0 and the minimum is at 0.37
        calls.append(alpha)
        return 3 * (alpha - 0.37) ** 2, 6 * (alpha - 0.37), None

    alpha, _, _, status = line_search(phi, 3 * 0.37**2, -6 * 0.37, 1.0, c1=1e-12, c2=1e-10)
    assert status == "wolfe" and abs(alpha - 0.37) < 1e-12 and len(calls) == 2


def test_line_search_meets_the_strong_wolfe_conditions():
    surface = SURFACES["rosenbrock"]
    rng = np.random.default_rng(3)
    for _ in range(30):
        x = rng.uniform(-1.5, 1.5, size=2)
        g = surface.grad(*x)
        d = -g / np.linalg.norm(g) * rng.uniform(0.01, 3)
        phi = lambda a: (surface.f(*(x + a * d)), surface.grad(*(x + a * d)) @ d, None)  # noqa: B023, E731
        alpha, value, _, status = line_search(phi, surface.f(*x), g @ d, 1.0)
        assert status == "wolfe"
        assert value <= surface.f(*x) + 1e-4 * alpha * (g @ d)
        assert abs(surface.grad(*(x + alpha * d)) @ d) <= 0.9 * abs(g @ d)


# --- coordinate descent ------------------------------------------------------------------------


def test_coordinate_descent_is_exact_on_the_ravine_in_two_steps():
    rng = np.random.default_rng(4)
    for start in [(-5.0, -2.0), *rng.uniform(-3, 3, size=(5, 2))]:
        path = train_2d("coordinate_descent", steps=2, start=start)
        assert path[1, 1] == start[1] and abs(path[1, 0]) < 1e-12  # first x1, exactly to 0
        np.testing.assert_allclose(path[2], [0.0, 0.0], atol=1e-12)


def test_coordinate_descent_changes_one_coordinate_per_step_in_turn():
    path, states = train_2d_with_states("coordinate_descent", steps=10, surface="rosenbrock")
    moved = np.diff(path, axis=0) != 0
    assert np.all(moved.sum(axis=1) == 1)
    np.testing.assert_array_equal(np.argmax(moved, axis=1), np.arange(10) % 2)
    assert [s["coordinate"] for s in states] == list(np.arange(10) % 2)


def test_coordinate_descent_minimises_along_each_axis():
    surface = SURFACES["rosenbrock"]
    path, states = train_2d_with_states("coordinate_descent", steps=20, surface="rosenbrock")
    for point, state in zip(path[1:], states, strict=True):
        slope = surface.grad(*point)[state["coordinate"]]
        assert abs(slope) < 1e-6 * max(1.0, np.abs(surface.grad(*path[0])).max())


@pytest.mark.parametrize("angle", [10.0, 30.0, 45.0, 60.0])
def test_coordinate_descent_on_a_rotated_ravine_converges_at_the_gauss_seidel_rate(angle):
    surface = rotated_ravine(angle)
    path = train_2d("coordinate_descent", steps=40, surface=surface)
    d = distance_to(path)
    measured = d[40] / d[38]  # one pass = two steps
    expected = gauss_seidel_rate(surface.hessian(0, 0))
    H = surface.hessian(0, 0)
    np.testing.assert_allclose(expected, H[0, 1] ** 2 / (H[0, 0] * H[1, 1]), rtol=1e-12)
    np.testing.assert_allclose(measured, expected, rtol=1e-6)


def test_gauss_seidel_rate_of_a_diagonal_matrix_is_zero():
    assert gauss_seidel_rate(np.diag([0.2, 4.0])) == 0.0
    with pytest.raises(ValueError, match="square"):
        gauss_seidel_rate(np.ones((2, 3)))


# --- every method on every surface; bad input --------------------------------------------------


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("name", CURVATURE)
def test_runs_on_every_surface_without_warnings(name, surface):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = train_2d(name, steps=60, surface=surface)
    assert path.shape == (61, 2)
    np.testing.assert_array_equal(path[0], SURFACES[surface].start)


def test_records_use_the_reserved_colours_and_markers():
    expected = {"newton": ("#ffa90e", "*"), "bfgs": ("#94a4a2", "h"), "lbfgs": ("#a96b59", "p"),
                "coordinate_descent": ("#e76300", "d")}
    for name, (color, marker) in expected.items():
        record = OPTIMIZERS[name]
        assert (record.color, record.marker) == (color, marker)
        for hp, default in record.defaults.items():
            lo, hi, _, log = record.slider_range(hp)
            assert lo <= (np.log10(default) if log else default) <= hi, (name, hp)
    assert OPTIMIZERS["newton"].needs == ("hess",)
    assert OPTIMIZERS["bfgs"].needs == ("fun", "grad_fn")


@pytest.mark.parametrize("hp, message", [
    ({"memory": 0}, r"memory must be a whole number >= 1, got 0"),
    ({"memory": 2.5}, r"memory must be a whole number"),
    ({"c1": 0.0}, r"c1 must be"),
    ({"c2": 1e-5}, r"c2 must be .*\(0.0001, 1\)"),
    ({"c2": 1.0}, r"c2 must be"),
])
def test_bad_line_search_settings_name_themselves(hp, message):
    with pytest.raises(ValueError, match=message):
        train_2d("lbfgs", steps=3, surface="rosenbrock", **hp)


@pytest.mark.parametrize("name, hp, message", [
    ("newton", {"damping": -1.0}, r"damping must be .*>= 0"),
    ("newton", {"lr": -0.1}, r"lr must be"),
    ("bfgs", {"c2": 0.0}, r"c2 must be"),
])
def test_bad_hyperparameters_are_refused_before_any_step(name, hp, message):
    with pytest.raises(ValueError, match=message):
        train_2d(name, steps=0, **hp)


def test_surface_functions_must_be_callable():
    with pytest.raises(TypeError, match="hess must be a function"):
        newton(np.zeros(2), np.ones(2), {}, hess=np.eye(2))
    with pytest.raises(TypeError, match="grad_fn must be a function"):
        bfgs(np.zeros(2), np.ones(2), {}, fun=lambda p: 0.0, grad_fn=None)
    with pytest.raises(ValueError, match="other parameters"):
        f, g, _ = quadratic(np.eye(3), np.ones(3))
        _, state = bfgs(np.zeros(2), np.ones(2), {}, fun=lambda p: p @ p, grad_fn=lambda p: 2 * p)
        bfgs(np.zeros(3), np.ones(3), state, fun=f, grad_fn=g)


def test_steps_do_not_mutate_their_inputs():
    surface = SURFACES["rosenbrock"]
    extra = {"fun": lambda p: surface.f(*p), "grad_fn": lambda p: surface.grad(*p)}
    x = np.array([-1.2, 1.0])
    for step, kw in ((bfgs, extra), (lbfgs, extra), (coordinate_descent, extra),
                     (newton, {"hess": lambda p: surface.hessian(*p)})):
        params, grad = x.copy(), surface.grad(*x)
        _, state = step(params, grad, {}, **kw)
        frozen = {k: np.copy(v) for k, v in state.items() if isinstance(v, np.ndarray)}
        step(params, grad, state, **kw)
        np.testing.assert_array_equal(params, x)
        for k, v in frozen.items():
            np.testing.assert_array_equal(state[k], v)


# --- drawing and costs ---------------------------------------------------------------------


def test_ellipse_is_the_level_set_of_the_matrix():
    M = np.array([[2.0, 0.6], [0.6, 0.5]])
    points = ellipse(M, center=(1.0, -1.0), radius=0.3)
    d = points - [1.0, -1.0]
    np.testing.assert_allclose(np.einsum("ij,jk,ik->i", d, np.linalg.inv(M), d), 0.09)
    with pytest.raises(ValueError, match="positive definite"):
        ellipse(np.diag([1.0, -1.0]))


def test_second_order_costs_for_the_lecture_network():
    costs = second_order_costs(159_010)
    assert costs["hessian_entries"] == 159_010**2 == 25_284_180_100
    assert costs["hessian_bytes"] == 4 * 25_284_180_100
    assert costs["lbfgs_bytes"] == 2 * 10 * 159_010 * 4
    assert costs["solve_flops"] == pytest.approx(159_010**3 / 3)


def test_scipy_is_a_test_dependency_only():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent
    pattern = re.compile(r"^\s*(import scipy|from scipy)", flags=re.M)
    sources = [*(root / "course_utils").glob("*.py"), *(root / "notebooks").glob("*.ipynb")]
    assert sources and not [p.name for p in sources if pattern.search(p.read_text())]
