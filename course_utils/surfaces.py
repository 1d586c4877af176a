"""The landscapes the optimizers race on: one record per surface.

A :class:`Surface` carries everything a path, a plot or an explorer needs: the function, its
analytic gradient and Hessian, a window that shows its features, where a path starts, its minima
and saddle points, a title in math text and how to space its contour levels. ``SURFACES`` holds
them by name; :func:`get_surface` resolves a name (or passes a record through).

Each surface is there to show one thing:

* ``ravine``: the lecture's 0.1·x1² + 2·x2², a narrow valley along an axis (condition number 20);
* ``rotated_ravine``: the same valley turned 45°, so no coordinate points along it
  (:func:`rotated_ravine` makes it at any angle);
* ``rosenbrock``: a curved, flat-bottomed valley; the classic test of a method;
* ``beale``: steep walls and a long flat arm to the minimum (3, 0.5); values span 10⁵;
* ``himmelblau``: four minima of equal height: where you start decides where you end;
* ``saddle``: a saddle point at the origin between two minima (0, ±1);
* ``rastrigin``: a bowl covered in bumps, 25 local minima in its window;
* ``plateau``: a well in a wide, almost flat plain where gradients are tiny.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import checks
from .functions import f_2d, f_2d_grad

__all__ = ["Surface", "SURFACES", "get_surface", "rotated_ravine", "contour_levels"]


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface and what the course draws on it.

    ``f(x1, x2)`` works on scalars and meshgrids; ``grad(x1, x2)`` returns an array (2,) and
    ``hessian(x1, x2)`` an array (2, 2). ``window`` is ((x_lo, x_hi), (y_lo, y_hi)); ``start`` the
    default start; ``minima`` (global first) and ``saddles`` are lists of points; ``levels`` is
    how contours are spaced: ``"sqrt"`` (even rings on a bowl), ``"log"`` (values over many
    decades) or ``"linear"``.
    """

    name: str
    label: str
    f: Callable
    grad: Callable
    hessian: Callable
    window: tuple
    start: tuple
    minima: list
    saddles: list = field(default_factory=list)
    levels: str = "sqrt"

    @property
    def xlim(self):
        return self.window[0]

    @property
    def ylim(self):
        return self.window[1]

    def contains(self, point):
        """True if ``point`` lies inside the window (edges included)."""
        (x0, x1), (y0, y1) = self.window
        return bool(x0 <= point[0] <= x1 and y0 <= point[1] <= y1)

    def check_start(self, start, name="start"):
        """``start`` (None: the surface's own) as a finite point inside the window."""
        if start is None:
            return np.array(self.start, dtype=float)
        point = checks.point(name, start)
        if not self.contains(point):
            (x0, x1), (y0, y1) = self.window
            raise ValueError(
                f"{name} {tuple(point.tolist())} is outside the {self.name} surface's window "
                f"x1 in [{x0:g}, {x1:g}], x2 in [{y0:g}, {y1:g}]"
            )
        return point

    def __repr__(self):
        return f"Surface({self.name!r})"


def contour_levels(z, kind, n=18):
    """Contour levels for the values ``z`` of a surface over its window.

    ``"sqrt"`` spaces the levels in √(f − f_min), which gives evenly spaced rings on a quadratic
    bowl; ``"log"`` spaces them geometrically above the minimum, for surfaces whose values span
    many decades (Rosenbrock, Beale); ``"linear"`` spaces them evenly.
    """
    lo, hi = float(np.min(z)), float(np.max(z))
    span = hi - lo
    if kind == "sqrt":
        return lo + span * np.linspace(0, 1, n) ** 2
    if kind == "log":
        return lo + np.concatenate([[0.0], np.geomspace(span * 1e-6, span, n - 1)])
    if kind == "linear":
        return np.linspace(lo, hi, n)
    raise ValueError(f"levels must be 'sqrt', 'log' or 'linear', got {kind!r}")


def _refine(grad, hessian, points, iterations=30):
    """Newton's method on ∇f = 0 from each approximate critical point, to full precision."""
    refined = []
    for guess in points:
        p = np.array(guess, dtype=float)
        for _ in range(iterations):
            p = p - np.linalg.solve(hessian(*p), grad(*p))
        refined.append(tuple(float(c) for c in p))
    return refined


# ---------------------------------------------------------------------------
# The ravine and its rotations
# ---------------------------------------------------------------------------

RAVINE_CURVATURES = (0.2, 4.0)  # the Hessian diag(0.2, 4): condition number 20


def _ravine_hessian(x1, x2):
    return np.diag(RAVINE_CURVATURES)


def rotated_ravine(angle=45.0):
    """The ravine turned by ``angle`` degrees: f(x) = f_ravine(Rᵀx), R the rotation by ``angle``.

    Its Hessian is R·diag(0.2, 4)·Rᵀ; the start is the ravine's (−5, −2) turned the same way, so
    every angle poses the same problem in other coordinates. Only angle 0 (and 90) is separable.
    """
    angle = checks.real("angle", angle)
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    rotation = np.array([[c, -s], [s, c]])
    hessian = rotation @ np.diag(RAVINE_CURVATURES) @ rotation.T
    a, b, d = hessian[0, 0], hessian[0, 1], hessian[1, 1]

    def f(x1, x2):
        return 0.5 * (a * x1**2 + 2 * b * x1 * x2 + d * x2**2)

    def grad(x1, x2):
        return np.array([a * x1 + b * x2, b * x1 + d * x2])

    def hess(x1, x2):
        return hessian.copy()

    start = rotation @ np.array([-5.0, -2.0])
    return Surface(
        name="rotated_ravine" if angle == 45.0 else f"ravine_rotated_{angle:g}",
        label=rf"ravine turned ${angle:g}^\circ$",
        f=f, grad=grad, hessian=hess, window=((-5.5, 5.5), (-5.5, 5.5)),
        start=tuple(float(v) for v in start), minima=[(0.0, 0.0)], levels="sqrt",
    )


# ---------------------------------------------------------------------------
# Rosenbrock, Beale, Himmelblau
# ---------------------------------------------------------------------------


def _rosenbrock_f(x1, x2):
    return (1 - x1) ** 2 + 100 * (x2 - x1**2) ** 2


def _rosenbrock_grad(x1, x2):
    return np.array([-2 * (1 - x1) - 400 * x1 * (x2 - x1**2), 200 * (x2 - x1**2)])


def _rosenbrock_hessian(x1, x2):
    return np.array([[2 - 400 * x2 + 1200 * x1**2, -400 * x1], [-400 * x1, 200.0]])


_BEALE = (1.5, 2.25, 2.625)


def _beale_terms(x1, x2):
    return [c - x1 + x1 * x2**k for k, c in enumerate(_BEALE, start=1)]


def _beale_f(x1, x2):
    return sum(t**2 for t in _beale_terms(x1, x2))


def _beale_grad(x1, x2):
    gx = gy = 0.0
    for k, t in enumerate(_beale_terms(x1, x2), start=1):
        gx = gx + 2 * t * (x2**k - 1)
        gy = gy + 2 * t * k * x1 * x2 ** (k - 1)
    return np.array([gx, gy])


def _beale_hessian(x1, x2):
    hxx = hxy = hyy = 0.0
    for k, t in enumerate(_beale_terms(x1, x2), start=1):
        dx, dy = x2**k - 1, k * x1 * x2 ** (k - 1)  # ∂t/∂x1, ∂t/∂x2
        hxx += 2 * dx * dx
        hxy += 2 * dx * dy + 2 * t * k * x2 ** (k - 1)
        hyy += 2 * dy * dy + (2 * t * k * (k - 1) * x1 * x2 ** (k - 2) if k > 1 else 0.0)
    return np.array([[hxx, hxy], [hxy, hyy]])


def _himmelblau_f(x1, x2):
    return (x1**2 + x2 - 11) ** 2 + (x1 + x2**2 - 7) ** 2


def _himmelblau_grad(x1, x2):
    a, b = x1**2 + x2 - 11, x1 + x2**2 - 7
    return np.array([4 * x1 * a + 2 * b, 2 * a + 4 * x2 * b])


def _himmelblau_hessian(x1, x2):
    return np.array([
        [12 * x1**2 + 4 * x2 - 42, 4 * (x1 + x2)],
        [4 * (x1 + x2), 4 * x1 + 12 * x2**2 - 26],
    ])


# ---------------------------------------------------------------------------
# Saddle, Rastrigin, plateau
# ---------------------------------------------------------------------------


def _saddle_f(x1, x2):
    return 0.5 * x1**2 + 0.25 * x2**4 - 0.5 * x2**2


def _saddle_grad(x1, x2):
    return np.array([x1, x2**3 - x2])


def _saddle_hessian(x1, x2):
    return np.array([[1.0, 0.0], [0.0, 3 * x2**2 - 1]])


_TWO_PI = 2 * np.pi


def _rastrigin_f(x1, x2):
    return 20 + x1**2 + x2**2 - 10 * (np.cos(_TWO_PI * x1) + np.cos(_TWO_PI * x2))


def _rastrigin_grad(x1, x2):
    return np.array([2 * x1 + 10 * _TWO_PI * np.sin(_TWO_PI * x1),
                     2 * x2 + 10 * _TWO_PI * np.sin(_TWO_PI * x2)])


def _rastrigin_hessian(x1, x2):
    k = 10 * _TWO_PI**2
    return np.diag([2 + k * np.cos(_TWO_PI * x1), 2 + k * np.cos(_TWO_PI * x2)])


def _rastrigin_critical_1d(limit):
    """1-D minima (near integers) and maxima (near half-integers) of x² − 10·cos 2πx in ±limit."""

    def refine(x):
        for _ in range(50):
            x -= (2 * x + 10 * _TWO_PI * np.sin(_TWO_PI * x)) / (
                2 + 10 * _TWO_PI**2 * np.cos(_TWO_PI * x))
        return float(x)

    n = int(np.ceil(limit)) + 1
    minima = [refine(float(k)) for k in range(-n, n + 1)]
    maxima = [refine(k + 0.5) for k in range(-n, n)]
    return ([x for x in minima if abs(x) <= limit], [x for x in maxima if abs(x) <= limit])


_RASTRIGIN_LIMIT = 2.5
_r_min, _r_max = _rastrigin_critical_1d(_RASTRIGIN_LIMIT)
_rastrigin_minima = sorted(((a, b) for a in _r_min for b in _r_min),
                           key=lambda p: (p[0] ** 2 + p[1] ** 2, p))
_rastrigin_saddles = sorted([(a, b) for a in _r_min for b in _r_max]
                            + [(a, b) for a in _r_max for b in _r_min])


def _plateau_f(x1, x2):
    return 1 - np.exp(-(x1**2 + x2**2) / 2)


def _plateau_grad(x1, x2):
    e = np.exp(-(x1**2 + x2**2) / 2)
    return np.array([x1 * e, x2 * e])


def _plateau_hessian(x1, x2):
    e = np.exp(-(x1**2 + x2**2) / 2)
    return e * np.array([[1 - x1**2, -x1 * x2], [-x1 * x2, 1 - x2**2]])


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------

SURFACES = {
    surface.name: surface
    for surface in (
        Surface(
            "ravine", r"$f = 0.1 x_1^2 + 2 x_2^2$", f_2d, f_2d_grad, _ravine_hessian,
            window=((-5.5, 3.0), (-3.0, 3.0)), start=(-5.0, -2.0), minima=[(0.0, 0.0)],
        ),
        rotated_ravine(45.0),
        Surface(
            "rosenbrock", r"Rosenbrock $(1 - x_1)^2 + 100 (x_2 - x_1^2)^2$",
            _rosenbrock_f, _rosenbrock_grad, _rosenbrock_hessian,
            window=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.2, 1.0), minima=[(1.0, 1.0)],
            levels="log",
        ),
        Surface(
            "beale", "Beale", _beale_f, _beale_grad, _beale_hessian,
            window=((-4.5, 4.5), (-4.5, 4.5)), start=(1.0, 1.5), minima=[(3.0, 0.5)],
            saddles=_refine(_beale_grad, _beale_hessian, [(0.0, 1.0), (0.1005, -2.6445)]),
            levels="log",
        ),
        Surface(
            "himmelblau", r"Himmelblau $(x_1^2 + x_2 - 11)^2 + (x_1 + x_2^2 - 7)^2$",
            _himmelblau_f, _himmelblau_grad, _himmelblau_hessian,
            window=((-5.0, 5.0), (-5.0, 5.0)), start=(0.0, 0.0),
            minima=_refine(_himmelblau_grad, _himmelblau_hessian, [
                (3.0, 2.0), (-2.805, 3.131), (-3.779, -3.283), (3.584, -1.848)]),
            saddles=_refine(_himmelblau_grad, _himmelblau_hessian, [
                (0.087, 2.884), (-3.073, -0.081), (3.385, 0.074), (-0.128, -1.954)]),
            levels="log",
        ),
        Surface(
            "saddle", r"saddle $\frac{1}{2} x_1^2 + \frac{1}{4} x_2^4 - \frac{1}{2} x_2^2$",
            _saddle_f, _saddle_grad, _saddle_hessian,
            window=((-2.5, 2.5), (-1.6, 1.6)), start=(-2.0, 1e-3),
            minima=[(0.0, 1.0), (0.0, -1.0)], saddles=[(0.0, 0.0)], levels="linear",
        ),
        Surface(
            "rastrigin", r"Rastrigin $20 + \sum_i (x_i^2 - 10 \cos 2\pi x_i)$",
            _rastrigin_f, _rastrigin_grad, _rastrigin_hessian,
            window=((-_RASTRIGIN_LIMIT, _RASTRIGIN_LIMIT), (-_RASTRIGIN_LIMIT, _RASTRIGIN_LIMIT)),
            start=(-2.2, 1.8), minima=_rastrigin_minima, saddles=_rastrigin_saddles,
            levels="linear",
        ),
        Surface(
            "plateau", r"plateau $1 - e^{-(x_1^2 + x_2^2)/2}$",
            _plateau_f, _plateau_grad, _plateau_hessian,
            window=((-4.0, 4.0), (-4.0, 4.0)), start=(-3.5, 2.0), minima=[(0.0, 0.0)],
            levels="linear",
        ),
    )
}


def get_surface(surface):
    """The :class:`Surface` for a name in ``SURFACES``, or the record itself."""
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str):
        try:
            return SURFACES[surface]
        except KeyError:
            known = ", ".join(SURFACES)
            raise ValueError(f"unknown surface {surface!r}; known surfaces: {known}") from None
    if callable(surface):
        raise TypeError("surface must be a name or a Surface, got a function; "
                        "to use a gradient of your own, pass it as grad=")
    raise TypeError(f"surface must be a name ({', '.join(SURFACES)}) or a Surface, "
                    f"got {checks.describe(surface)}")
