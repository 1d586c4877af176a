"""The step functions compute in place, but only in arrays of their own.

They write their arithmetic into the fresh arrays they return (``out=``); these tests make sure
that nothing returned shares memory with anything given, that a caller may keep and reuse every
array, and that the in-place code computes the same numbers as the plain formulas.
"""

import numpy as np
import pytest

from course_utils.exercises import LECTURE_SETTINGS
from course_utils.optimizers import OPTIMIZERS

RNG = np.random.default_rng(0)
P = RNG.standard_normal((6, 4))
GRADS = [RNG.standard_normal((6, 4)) for _ in range(5)]
SETTINGS = LECTURE_SETTINGS  # the lectures' settings on f_2d

# The steps written with in-place arithmetic: those that need only the gradient.
FIRST_ORDER = sorted(name for name, record in OPTIMIZERS.items() if not record.needs)


def plain_formulas(name, p, g, state, hp):
    """The update rules as one-line formulas (the torch.optim documentation's)."""
    if name == "sgd":
        return p - hp["lr"] * g, {}
    if name == "momentum":
        v = hp["gamma"] * state.get("v", 0.0) + hp["lr"] * g
        return p - v, {"v": v}
    if name == "nesterov":
        v = hp["gamma"] * state.get("v", 0.0) + g
        return p - hp["lr"] * (g + hp["gamma"] * v), {"v": v}
    if name == "adagrad":
        G = state.get("G", 0.0) + g * g
        return p - hp["lr"] * g / (np.sqrt(G) + hp["eps"]), {"G": G}
    if name == "rmsprop":
        s = hp["gamma"] * state.get("s", 0.0) + (1 - hp["gamma"]) * g * g
        return p - hp["lr"] * g / (np.sqrt(s) + hp["eps"]), {"s": s}
    if name == "adadelta":
        r = hp["rho"] * state.get("r", 0.0) + (1 - hp["rho"]) * g * g
        u = state.get("u", 0.0)
        delta = np.sqrt(u + hp["eps"]) / np.sqrt(r + hp["eps"]) * g
        u = hp["rho"] * u + (1 - hp["rho"]) * delta * delta
        return p - hp.get("lr", 1.0) * delta, {"r": r, "u": u}
    t = state.get("t", 0) + 1
    m = hp["beta1"] * state.get("m", 0.0) + (1 - hp["beta1"]) * g
    n = hp["beta2"] * state.get("n", 0.0) + (1 - hp["beta2"]) * g * g
    m_hat, n_hat = m / (1 - hp["beta1"] ** t), n / (1 - hp["beta2"] ** t)
    return p - hp["lr"] * m_hat / (np.sqrt(n_hat) + hp["eps"]), {"m": m, "n": n, "t": t}


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_in_place_arithmetic_equals_the_plain_formulas(name):
    hp = SETTINGS[name]
    p, state, p_ref, state_ref = P, {}, P, {}
    for g in GRADS:
        p, state = OPTIMIZERS[name](p, g, state, **hp)
        p_ref, state_ref = plain_formulas(name, p_ref, g, state_ref, hp)
        np.testing.assert_allclose(p, p_ref, rtol=1e-13, atol=1e-15)
        for key in state_ref:
            np.testing.assert_allclose(state[key], state_ref[key], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_results_share_no_memory_with_inputs_or_each_other(name):
    step = OPTIMIZERS[name]
    p, state = P.copy(), {}
    for g in GRADS[:3]:
        given = [p, g] + [v for v in state.values() if isinstance(v, np.ndarray)]
        new_p, new_state = step(p, g, state, **SETTINGS[name])
        returned = [new_p] + [v for v in new_state.values() if isinstance(v, np.ndarray)]
        for i, a in enumerate(returned):
            for b in given + returned[i + 1:]:
                assert not np.shares_memory(a, b), name
        p, state = new_p, new_state


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_a_kept_state_can_be_stepped_from_again(name):
    """Two branches from one state: the first branch must not disturb the second."""
    step = OPTIMIZERS[name]
    p, state = step(P, GRADS[0], {}, **SETTINGS[name])
    a, _ = step(p, GRADS[1], state, **SETTINGS[name])
    step(a, GRADS[2], state, **SETTINGS[name])
    b, _ = step(p, GRADS[1], state, **SETTINGS[name])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_a_number_in_gives_a_number_out(name):
    """The 1-D examples step a single number: they get a number back, as before."""
    new, _ = OPTIMIZERS[name](np.float64(1.5), np.float64(0.3), {}, **SETTINGS[name])
    assert np.ndim(new) == 0 and isinstance(new, np.floating)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_numpy_scalars_as_settings_still_work_and_are_checked(name):
    hp = {k: np.float64(v) for k, v in SETTINGS[name].items()}
    a, _ = OPTIMIZERS[name](P, GRADS[0], {}, **hp)
    b, _ = OPTIMIZERS[name](P, GRADS[0], {}, **SETTINGS[name])
    np.testing.assert_array_equal(a, b)
    key = next(iter(hp))
    with pytest.raises(ValueError, match=key):
        OPTIMIZERS[name](P, GRADS[0], {}, **{**hp, key: np.float64(-1.0)})
    with pytest.raises(ValueError, match=key):
        OPTIMIZERS[name](P, GRADS[0], {}, **{**hp, key: float("nan")})
