"""Every surface: analytic gradient and Hessian against finite differences, critical points."""

import warnings

import numpy as np
import pytest

from course_utils.optimizers import OPTIMIZERS
from course_utils.surfaces import SURFACES, contour_levels, get_surface, rotated_ravine
from course_utils.trajectories import train_2d

FIRST_ORDER = [name for name, record in OPTIMIZERS.items() if not record.needs]


def _random_points(surface, n=20, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.window
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def _central_gradient(f, p, h=1e-6):
    return np.array([(f(p[0] + h, p[1]) - f(p[0] - h, p[1])) / (2 * h),
                     (f(p[0], p[1] + h) - f(p[0], p[1] - h)) / (2 * h)])


def _rel_error(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)


@pytest.mark.parametrize("name", SURFACES)
def test_gradient_matches_central_differences(name):
    surface = SURFACES[name]
    for p in _random_points(surface):
        g = surface.grad(*p)
        assert g.shape == (2,)
        assert _rel_error(g, _central_gradient(surface.f, p)) <= 1e-6, p


@pytest.mark.parametrize("name", SURFACES)
def test_hessian_matches_central_differences_of_the_gradient(name):
    surface = SURFACES[name]
    h = 1e-6
    for p in _random_points(surface, seed=1):
        numeric = np.column_stack([
            (surface.grad(p[0] + h, p[1]) - surface.grad(p[0] - h, p[1])) / (2 * h),
            (surface.grad(p[0], p[1] + h) - surface.grad(p[0], p[1] - h)) / (2 * h),
        ])
        H = surface.hessian(*p)
        assert H.shape == (2, 2)
        np.testing.assert_allclose(H, H.T)
        assert _rel_error(H, numeric) <= 1e-6, p


@pytest.mark.parametrize("name", SURFACES)
def test_minima_and_saddles(name):
    surface = SURFACES[name]
    assert surface.minima, "every surface lists its minima"
    scale = max(np.abs(surface.grad(*p)).max() for p in _random_points(surface))
    for point in surface.minima:
        assert np.abs(surface.grad(*point)).max() <= 1e-9 * scale, point
        assert np.all(np.linalg.eigvalsh(surface.hessian(*point)) > 0), point
    for point in surface.saddles:
        assert np.abs(surface.grad(*point)).max() <= 1e-9 * scale, point
        eig = np.linalg.eigvalsh(surface.hessian(*point))
        assert eig[0] < 0 < eig[1], point
    # The global minimum is listed first and is the lowest.
    values = [surface.f(*p) for p in surface.minima]
    assert values[0] == pytest.approx(min(values), abs=1e-12)
    assert surface.contains(surface.start)


def test_the_named_surfaces_of_the_contract():
    assert {"ravine", "rotated_ravine", "rosenbrock", "beale", "himmelblau", "saddle"} <= set(
        SURFACES)
    assert SURFACES["ravine"].start == (-5.0, -2.0)
    assert SURFACES["rosenbrock"].start == (-1.2, 1.0)
    assert SURFACES["rosenbrock"].minima == [(1.0, 1.0)]
    assert SURFACES["beale"].minima == [(3.0, 0.5)]
    assert len(SURFACES["himmelblau"].minima) == 4
    assert SURFACES["saddle"].saddles == [(0.0, 0.0)]
    np.testing.assert_allclose(SURFACES["ravine"].hessian(1.0, 2.0), np.diag([0.2, 4.0]))


def test_rotated_ravine_has_the_ravine_spectrum_and_rotated_start():
    for angle in (0.0, 30.0, 45.0, 90.0):
        surface = rotated_ravine(angle)
        np.testing.assert_allclose(np.linalg.eigvalsh(surface.hessian(0, 0)), [0.2, 4.0])
        assert surface.f(*surface.start) == pytest.approx(SURFACES["ravine"].f(-5.0, -2.0))
    np.testing.assert_allclose(rotated_ravine(0.0).hessian(0, 0), np.diag([0.2, 4.0]), atol=1e-15)


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("optimizer", FIRST_ORDER)
def test_every_first_order_optimizer_runs_on_every_surface_without_warnings(optimizer, surface):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = train_2d(optimizer, steps=100, surface=surface)
        big = train_2d(optimizer, steps=100, surface=surface, lr=5.0) if "lr" in (
            OPTIMIZERS[optimizer].defaults) else path
    assert path.shape == (101, 2) and big.shape == (101, 2)
    np.testing.assert_array_equal(path[0], SURFACES[surface].start)


def test_log_levels_span_the_decades():
    z = SURFACES["rosenbrock"].f(*np.meshgrid(np.linspace(-2, 2, 50), np.linspace(-1, 3, 50)))
    levels = contour_levels(z, "log")
    assert np.all(np.diff(levels) > 0)
    assert levels[1] - levels[0] < 1e-2 * (levels[-1] - levels[-2])
    with pytest.raises(ValueError, match="levels must be"):
        contour_levels(z, "cubic")


@pytest.mark.parametrize(
    "value, error, message",
    [
        ("nowhere", ValueError, "unknown surface 'nowhere'; known surfaces: ravine"),
        (lambda a, b: a, TypeError, "pass it as grad="),
        (3, TypeError, "surface must be a name"),
    ],
)
def test_bad_surface(value, error, message):
    with pytest.raises(error, match=message):
        get_surface(value)
    with pytest.raises(error, match=message):
        train_2d("sgd", surface=value)


@pytest.mark.parametrize(
    "start, error",
    [((np.nan, 0.0), ValueError), ((np.inf, 1.0), ValueError), ("here", TypeError),
     ((1.0, 2.0, 3.0), ValueError), (None, None)],
)
def test_start_is_checked(start, error):
    surface = SURFACES["ravine"]
    if error is None:
        np.testing.assert_array_equal(surface.check_start(start), surface.start)
        return
    with pytest.raises(error, match="start"):
        surface.check_start(start)
    if start is not None:
        with pytest.raises(error, match="start"):
            train_2d("sgd", start=start)


def test_start_outside_the_window_names_the_window():
    with pytest.raises(ValueError, match=r"outside the ravine surface's window x1 in \[-5.5, 3\]"):
        SURFACES["ravine"].check_start((10.0, 0.0))
