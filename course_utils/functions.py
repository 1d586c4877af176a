"""The lecture's two losses: θ² in 1-D and the ravine f_2d in 2-D.

Gradient functions take the coordinates as separate arguments and return a numpy array,
so an optimizer can step on ``grad(*point)`` directly. The ravine's Hessian, window, start and
minimum are in its record, ``course_utils.surfaces.SURFACES["ravine"]``, beside the other
landscapes.
"""

import numpy as np

# f_2d = 0.1·x1² + 2·x2²: a long, narrow valley. Its Hessian is diag(0.2, 4), so the condition
# number is 20 and plain gradient descent converges only for η < 2/4 = 0.5.


def f_2d(x1, x2):
    """The lecture's 2-D loss 0.1·x1² + 2·x2² (works on scalars and meshgrids)."""
    return 0.1 * x1**2 + 2.0 * x2**2


def f_2d_grad(x1, x2):
    """∇f_2d = (0.2·x1, 4·x2)."""
    return np.array([0.2 * x1, 4.0 * x2])


def loss_1d(theta):
    """The 1-D loss θ², minimum at θ = 0."""
    return theta**2


def loss_1d_grad(theta):
    """dθ²/dθ = 2θ, so a gradient step is θ ← (1 − 2η)·θ."""
    return np.array(2.0 * theta)
