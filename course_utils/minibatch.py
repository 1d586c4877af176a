"""Mini-batch noise on a real two-parameter problem: linear regression y ≈ w·x + b.

The data are the 392 cars of the Auto MPG set that mlxtend ships (no download): x is a car's
weight, y its fuel economy (miles per gallon), both standardised (mean 0, standard deviation 1).
The loss is the mean squared error L(w, b) = mean_i (w·x_i + b − y_i)², a quadratic bowl with
Hessian 2·mean(a_i a_iᵀ), a_i = (x_i, 1); standardised x makes it 2·I, round contours.

A mini-batch gradient averages B examples drawn at random, with replacement, independently at
every step; its mean is the full gradient and its covariance at the minimum is Σ / B, where
Σ is the covariance of one example's gradient there. SGD with a constant learning rate η
therefore does not stop at the minimum but wanders in a "noise ball" around it. To leading
order in η the ball's covariance S solves S = (I − ηH)·S·(I − ηH) + η²·Σ / B, so its mean
square radius tr S ≈ η·tr Σ / (B·h·(2 − ηh)) for H = h·I: the radius grows like √(η / B).
:func:`noise_ball_exact` adds what that leaves out (the noise also grows with the distance to
the minimum) by following the mean and second moment of θ − θ* step by step, exactly.
"""

from dataclasses import dataclass
from functools import lru_cache

import ipywidgets as widgets
import matplotlib.patheffects as patheffects
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from . import checks
from .landscape import train_many
from .optimizers import OPTIMIZERS
from .plotting import PathArtists, draw_contour, mark_point
from .schedules import RUN_SCHEDULES, for_run
from .surfaces import Surface
from .trajectories import MAX_STEPS
from .widgets import MAX_EXPLORER_STEPS, Explorer

__all__ = ["LinearRegression", "load_autompg", "minibatch_paths", "noise_ball",
           "measure_noise_ball", "noise_ball_leading_order", "noise_ball_exact",
           "stationary_noise_ball", "draw_noise_ball", "minibatch_explorer", "BATCH_SIZES",
           "THEORY_COLOR"]


@dataclass(frozen=True, eq=False)
class LinearRegression:
    """The mean squared error of y ≈ w·x + b on data (x, y), and its mini-batch gradients.

    Parameters are points (w, b). ``minimum`` is the least-squares fit, ``hessian`` the constant
    Hessian 2·mean(a aᵀ), ``gradient_noise`` the covariance Σ of one example's gradient at the
    minimum.
    """

    x: np.ndarray
    y: np.ndarray
    name: str = "regression"
    label: str = "y = w x + b"

    def __post_init__(self):
        x = np.asarray(self.x, dtype=float).ravel()
        y = np.asarray(self.y, dtype=float).ravel()
        if x.shape != y.shape or len(x) < 2:
            raise ValueError(f"x and y must be two equally long series of at least 2 values, "
                             f"got {x.shape} and {y.shape}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("x and y must be finite")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    @property
    def n(self):
        return len(self.x)

    @property
    def design(self):
        """Rows a_i = (x_i, 1): the prediction is a_i · (w, b)."""
        return np.column_stack([self.x, np.ones(self.n)])

    @property
    def minimum(self):
        a = self.design
        return np.linalg.solve(a.T @ a, a.T @ self.y)

    @property
    def hessian(self):
        a = self.design
        return 2 * a.T @ a / self.n

    def residuals(self):
        """e_i = y_i − a_i·θ*: what the best line leaves unexplained."""
        return self.y - self.design @ self.minimum

    @property
    def gradient_noise(self):
        """Σ = mean_i c_i c_iᵀ with c_i = 2·e_i·a_i, one example's gradient at the minimum."""
        a, e = self.design, self.residuals()
        return 4 * (a * (e * e)[:, None]).T @ a / self.n

    def loss(self, w, b):
        """L(w, b) = mean_i (w·x_i + b − y_i)², written in the data's moments (works on grids)."""
        x, y = self.x, self.y
        return (w * w * np.mean(x * x) + 2 * w * b * np.mean(x) + b * b
                - 2 * w * np.mean(x * y) - 2 * b * np.mean(y) + np.mean(y * y))

    def grad(self, w, b):
        """The full-batch gradient (dL/dw, dL/db) = 2·mean_i r_i·(x_i, 1), r_i the residual."""
        r = w * self.x + b - self.y
        return np.array([2 * np.mean(r * self.x), 2 * np.mean(r)])

    def full_gradient(self, points):
        """The full-batch gradient at every row of ``points`` (n, 2)."""
        points = np.asarray(points, dtype=float)
        return (points - self.minimum) @ self.hessian  # exact: L is quadratic, H symmetric

    def batch_gradient(self, batch_size, rng):
        """A function points (n, 2) → (n, 2): each row's gradient on its own random batch.

        Every call draws, for every row, ``batch_size`` examples with replacement.
        """
        batch_size = checks.whole("batch_size", batch_size, low=1)
        x, y = self.x, self.y

        def gradient(points):
            index = rng.integers(0, self.n, size=(len(points), batch_size))
            xb, yb = x[index], y[index]
            r = points[:, :1] * xb + points[:, 1:] - yb
            return np.column_stack([2 * np.mean(r * xb, axis=1), 2 * np.mean(r, axis=1)])

        return gradient

    def surface(self, window=((-2.2, 1.4), (-1.5, 1.5)), start=(1.0, 1.2)):
        """The loss as a :class:`~course_utils.surfaces.Surface`, for contour plots."""
        hessian = self.hessian
        return Surface(
            name=self.name, label=self.label, f=self.loss, grad=self.grad,
            hessian=lambda w, b: hessian.copy(), window=window, start=start,
            minima=[tuple(float(v) for v in self.minimum)], levels="sqrt",
        )


def _standardise(values):
    values = np.asarray(values, dtype=float)
    return (values - values.mean()) / values.std()


def load_autompg(feature="weight"):
    """Fuel economy against one feature of the 392 Auto MPG cars (shipped with mlxtend).

    Both standardised. ``feature``: "weight" (the default), "horsepower", "displacement" or
    "acceleration".
    """
    columns = {"displacement": 1, "horsepower": 2, "weight": 3, "acceleration": 4}
    checks.choice("feature", feature, tuple(columns))
    from mlxtend.data import autompg_data

    X, y = autompg_data()
    x = X[:, columns[feature]].astype(float)
    return LinearRegression(_standardise(x), _standardise(y), name=f"autompg_{feature}",
                            label=f"Auto MPG: mpg = w {feature} + b (standardised)")


# Theory (noise-ball circles, predicted curves) in a neutral grey: no optimizer's colour.
THEORY_COLOR = "#666666"

# Batch sizes the explorer offers; None is the full batch (exact gradient).
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, None)


def minibatch_paths(problem, batch_size, steps, *, optimizer="sgd", start=None, chains=1,
                    seed=0, **hyperparams):
    """Paths of ``optimizer`` on ``problem`` with mini-batch gradients: (steps + 1, chains, 2).

    ``batch_size=None`` uses the full batch (then every chain follows the same path).
    ``start=None`` is the problem surface's start; ``chains`` independent runs share it, each
    drawing its own batches from ``np.random.default_rng(seed)``. ``lr`` may be a schedule.
    """
    chains = checks.whole("chains", chains, low=1, high=100_000)
    steps = checks.whole("steps", steps, low=0, high=MAX_STEPS)
    start = problem.surface().start if start is None else checks.point("start", start)
    if batch_size is None:
        grad = problem.full_gradient
    else:
        grad = problem.batch_gradient(batch_size, np.random.default_rng(seed))
    starts = np.tile(np.asarray(start, dtype=float), (chains, 1))
    return train_many(optimizer, starts, grad, steps, **hyperparams)


def noise_ball(paths, minimum, burn_in=0):
    """Root-mean-square distance to ``minimum`` over steps from ``burn_in`` on, over all chains."""
    paths = np.asarray(paths, dtype=float)
    burn_in = checks.whole("burn_in", burn_in, low=0, high=len(paths) - 1)
    tail = paths[burn_in:] - np.asarray(minimum, dtype=float)
    return float(np.sqrt(np.mean(np.sum(tail * tail, axis=-1))))


def measure_noise_ball(problem, batch_size, lr, *, steps=2000, burn_in=500, chains=100,
                       seed=0):
    """The noise ball's RMS radius of constant-lr SGD, measured: runs start at the minimum."""
    paths = minibatch_paths(problem, batch_size, steps, start=problem.minimum, chains=chains,
                            seed=seed, lr=lr)
    return noise_ball(paths, problem.minimum, burn_in)


def _check_lr_and_batch(batch_size, lr):
    lr = checks.real("lr", lr, low=0)
    batch_size = checks.whole("batch_size", batch_size, low=1)
    return batch_size, lr


def noise_ball_leading_order(problem, batch_size, lr):
    """RMS radius √tr S, S solving S = (I − ηH)·S·(I − ηH) + η²·Σ / B (constant lr η).

    For H = h·I this is √(η·tr Σ / (B·h·(2 − ηh))). Returns inf where SGD is unstable.
    """
    batch_size, lr = _check_lr_and_batch(batch_size, lr)
    P = np.eye(2) - lr * problem.hessian
    if np.abs(np.linalg.eigvals(P)).max() >= 1:
        return float("inf")
    # vec(P S P) = (P ⊗ P)·vec(S)
    S = np.linalg.solve(np.eye(4) - np.kron(P, P),
                        (lr**2 / batch_size) * problem.gradient_noise.ravel())
    return float(np.sqrt(np.trace(S.reshape(2, 2))))


class _Moments:
    """What one SGD step does to the mean m and second moment M of δ = θ − θ*, exactly.

    δ' = δ − η·ĝ with ĝ the mean of B per-example gradients A_i·δ − c_i (A_i = 2·a_i a_iᵀ,
    c_i = 2·e_i·a_i, examples drawn with replacement, independent of δ). Then
    m' = (I − ηĀ)·m and
    M' = (I − ηĀ)·M·(I − ηĀ) + η²/B·(E[A M A] − Ā M Ā − E[A m cᵀ] − E[c mᵀ A] + E[c cᵀ]),
    all linear in (m, M), with Ā = H and E[c cᵀ] = Σ.
    """

    def __init__(self, problem):
        a, e = problem.design, problem.residuals()
        n = problem.n
        self.H = problem.hessian
        self.sigma = problem.gradient_noise
        self.K4 = 4 * np.einsum("ij,ik,il,im->jklm", a, a, a, a) / n  # E[A_jk A_lm]
        self.K3 = 4 * np.einsum("i,ij,ik,il->jkl", e, a, a, a) / n  # E[A_jk c_l]

    def step(self, m, M, lr, batch_size):
        P = np.eye(2) - lr * self.H
        AMA = np.einsum("jklm,kl->jm", self.K4, M)  # E[A_i M A_i]
        AmC = np.einsum("jkl,k->jl", self.K3, m)  # E[A_i m c_iᵀ]
        noise = AMA - self.H @ M @ self.H - AmC - AmC.T + self.sigma
        return P @ m, P @ M @ P.T + (lr**2 / batch_size) * noise


@lru_cache(maxsize=8)
def _moments_of(problem):
    """The fourth moments of a problem's data, computed once (the explorer asks on every change)."""
    return _Moments(problem)


def noise_ball_exact(problem, batch_size, lr, steps, start=None):
    """Expected squared distance E|θ_t − θ*|² of SGD at t = 0 .. steps, exactly.

    ``lr`` a number or a schedule of t; ``start=None`` the surface's start (deterministic).
    ``batch_size=None``: the full batch, no noise. Returns an array of shape (steps + 1,).
    """
    steps = checks.whole("steps", steps, low=0, high=MAX_STEPS)
    start = problem.surface().start if start is None else checks.point("start", start)
    if batch_size is not None:
        batch_size = checks.whole("batch_size", batch_size, low=1)
    schedule = lr if callable(lr) else (lambda t: lr)
    moments = _moments_of(problem)
    m = np.asarray(start, dtype=float) - problem.minimum
    M = np.outer(m, m)
    out = np.empty(steps + 1)
    out[0] = np.trace(M)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            lr_t = checks.real("lr", schedule(t), low=0)
            if batch_size is None:
                P = np.eye(2) - lr_t * moments.H
                m, M = P @ m, P @ M @ P.T
            else:
                m, M = moments.step(m, M, lr_t, batch_size)
            out[t + 1] = np.trace(M)
    return out


def stationary_noise_ball(problem, batch_size, lr):
    """The exact RMS radius SGD settles at with constant lr: the fixed point of M (m = 0)."""
    batch_size, lr = _check_lr_and_batch(batch_size, lr)
    moments = _moments_of(problem)
    zero = np.zeros(2)
    base = moments.step(zero, np.zeros((2, 2)), lr, batch_size)[1]  # η²·Σ / B
    # M ↦ step(M) − base is linear: build its matrix column by column and solve M = T·M + base.
    T = np.column_stack([
        (moments.step(zero, unit.reshape(2, 2), lr, batch_size)[1] - base).ravel()
        for unit in np.eye(4)])
    if np.abs(np.linalg.eigvals(T)).max() >= 1:
        return float("inf")  # the second moment grows without bound: no ball
    M = np.linalg.solve(np.eye(4) - T, base.ravel()).reshape(2, 2)
    return float(np.sqrt(np.trace(M)))


# ---------------------------------------------------------------------------
# Figures and the live explorer
# ---------------------------------------------------------------------------


def draw_noise_ball(ax, center, radius):
    """A dashed circle of ``radius`` around ``center``, outlined in white to read over a cloud."""
    ball = Circle(tuple(center), radius if np.isfinite(radius) else 0.0, fill=False, ls="--",
                  lw=2, color=THEORY_COLOR, zorder=6,
                  path_effects=[patheffects.Stroke(linewidth=4.5, foreground="white"),
                                patheffects.Normal()])
    ax.add_patch(ball)
    return ball


def minibatch_explorer(problem=None, steps=300, *, batch_size=8, lr=0.1, schedule="constant",
                       seed=0, backend=None, figsize=(8.2, 4.2)):
    """Live: SGD on the regression loss with a chosen batch size, learning rate and schedule.

    Left: the path on the loss's contours, with the noise ball the theory predicts for the rate
    at the last step (a circle of the exact RMS radius). Right: the path's distance to the
    minimum per step (black), and the exact RMS distance √E|θ_t − θ*|² over all possible draws
    (grey, dashed).
    """
    problem = load_autompg() if problem is None else problem
    steps = checks.whole("steps", steps, low=1, high=MAX_EXPLORER_STEPS)
    if batch_size not in BATCH_SIZES:
        raise ValueError(f"batch_size must be one of {BATCH_SIZES}, got {batch_size!r}")
    checks.choice("schedule", schedule, RUN_SCHEDULES)
    surface = problem.surface()
    minimum = problem.minimum
    sgd = OPTIMIZERS["sgd"]

    controls = {
        # a slider cannot hold None: the full batch is "full" on it
        "batch_size": widgets.SelectionSlider(
            options=[(str(b), b) for b in BATCH_SIZES if b is not None] + [("full", "full")],
            value="full" if batch_size is None else batch_size, description="batch",
            layout=widgets.Layout(width="420px")),
        "lr": widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                     description="lr", readout_format=".3g",
                                     layout=widgets.Layout(width="420px")),
        "schedule": widgets.Dropdown(options=list(RUN_SCHEDULES), value=schedule,
                                     description="schedule"),
    }

    figure = Figure(figsize=figsize, layout="constrained")
    ax_path, ax_distance = figure.subplots(1, 2)
    draw_contour(ax_path, surface=surface)
    mark_point(ax_path, surface.start, "start")
    ax_path.set_xlabel("$w$")
    ax_path.set_ylabel("$b$")
    path_artists = PathArtists(ax_path, surface.window, surface.f, sgd.color, marker=sgd.marker,
                               ms=3)
    ball = draw_noise_ball(ax_path, minimum, 0.0)
    t = np.arange(steps + 1)
    (measured,) = ax_distance.plot([], [], color=sgd.color, lw=1.2, label="this run")
    (theory,) = ax_distance.plot([], [], color=THEORY_COLOR, lw=2.2, ls="--", label="theory (RMS)")
    ax_distance.set(xlim=(0, steps), ylim=(1e-3, 5), yscale="log", xlabel="step $t$",
                    ylabel=r"$|\theta_t - \theta^*|$")
    ax_distance.legend(loc="upper right")
    title = ax_path.set_title(" ", fontsize="small")

    def compute(batch_size, lr, schedule):
        batch_size = None if batch_size == "full" else batch_size
        rate = for_run(schedule, lr, steps)
        path = minibatch_paths(problem, batch_size, steps, seed=seed, lr=rate)[:, 0]
        expected = np.sqrt(noise_ball_exact(problem, batch_size, rate, steps))
        radius = 0.0 if batch_size is None else stationary_noise_ball(
            problem, batch_size, rate(steps - 1))
        return {"path": path, "expected": expected, "radius": radius}

    def draw(result, values):
        path = result["path"]
        path_artists.update(path, path)
        with np.errstate(invalid="ignore"):
            measured.set_data(t, np.linalg.norm(path - minimum, axis=1))
        theory.set_data(t, result["expected"])
        radius = result["radius"]
        ball.set_radius(radius if np.isfinite(radius) else 0.0)
        batch = "full batch" if values["batch_size"] == "full" else f"B={values['batch_size']}"
        ball_text = f"ball {radius:.3f}" if np.isfinite(radius) else "unstable"
        title.set_text(f"SGD, {batch}, lr={values['lr']:.3g}, {values['schedule']}: "
                       f"{ball_text}")

    artists = [*path_artists.artists(), ball, measured, theory, title]
    return Explorer(figure, controls, compute, draw, artists, backend)
