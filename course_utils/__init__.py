"""Library behind the course notebooks on how neural networks learn.

Every formula lives here once; the notebooks import it::

    from course_utils import SURFACES, adam, plot_2d, train_2d
"""

from .functions import f_2d, f_2d_grad, loss_1d, loss_1d_grad
from .optimizers import (
    OPTIMIZERS,
    Optimizer,
    adadelta,
    adagrad,
    adam,
    get_optimizer,
    momentum,
    nesterov,
    rmsprop,
    sgd,
)
from .plotting import plot_1d, plot_2d, use_style
from .race import race_explorer
from .surfaces import SURFACES, Surface, get_surface
from .trajectories import train_1d, train_2d
from .widgets import gradient_descent_1d_explorer, optimizer_explorer

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "SURFACES",
    "Surface",
    "adadelta",
    "adagrad",
    "adam",
    "f_2d",
    "f_2d_grad",
    "get_optimizer",
    "get_surface",
    "gradient_descent_1d_explorer",
    "loss_1d",
    "loss_1d_grad",
    "momentum",
    "nesterov",
    "optimizer_explorer",
    "plot_1d",
    "plot_2d",
    "race_explorer",
    "rmsprop",
    "sgd",
    "train_1d",
    "train_2d",
    "use_style",
]
