import json
import pathlib

import numpy as np
import pytest

from course_utils.functions import f_2d_grad
from course_utils.optimizers import OPTIMIZERS, get_optimizer, hyperparameters

FIXTURES = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "torch_optim_trajectories.json").read_text()
)
CASES = FIXTURES["cases"]
# Steps that need only the gradient (the others, in course_utils.curvature, have their own tests).
FIRST_ORDER = [name for name, record in OPTIMIZERS.items() if not record.needs]


def _case_id(case):
    hp = ",".join(f"{k}={v}" for k, v in case["hyperparams"].items())
    return f"{case['optimizer']}[{hp}]-{case['surface']}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch_optim_trajectory(case):
    step = OPTIMIZERS[case["optimizer"]]
    expected = np.array(case["path"])
    x, state = np.array(case["start"]), {}
    path = [x]
    for i in range(len(expected) - 1):
        g = f_2d_grad(*x) if case["surface"] == "f_2d" else np.array(case["grads"][i])
        x, state = step(x, g, state, **case["hyperparams"])
        path.append(x)
    np.testing.assert_allclose(np.array(path), expected, rtol=1e-9, atol=1e-12)


def test_fixtures_cover_every_optimizer_on_both_surfaces():
    for surface in ("f_2d", "sequence"):
        covered = {c["optimizer"] for c in CASES if c["surface"] == surface}
        assert covered == set(FIRST_ORDER)


def test_shrinking_gradients_make_eps_placement_matter():
    """Moving eps across the square root must change the late steps visibly."""
    case = next(c for c in CASES if c["optimizer"] == "adam" and c["surface"] == "sequence")
    hp = case["hyperparams"]
    x, m, n = np.array(case["start"]), 0.0, 0.0
    for t, g in enumerate(np.array(case["grads"]), start=1):
        m = hp["beta1"] * m + (1 - hp["beta1"]) * g
        n = hp["beta2"] * n + (1 - hp["beta2"]) * g * g
        m_hat, n_hat = m / (1 - hp["beta1"] ** t), n / (1 - hp["beta2"] ** t)
        x = x - hp["lr"] * m_hat / np.sqrt(n_hat + hp["eps"])  # eps misplaced inside
    assert np.max(np.abs(x - case["path"][-1])) > 1e-6


# --- closed-form first steps ---------------------------------------------------------------

G = np.array([0.5, -2.0, 3.0])
P = np.array([1.0, 2.0, -1.0])


@pytest.mark.parametrize(
    "name, hp, expected",
    [
        ("sgd", {"lr": 0.1}, P - 0.1 * G),
        ("momentum", {"lr": 0.1, "gamma": 0.9}, P - 0.1 * G),
        ("nesterov", {"lr": 0.1, "gamma": 0.9}, P - 0.1 * (1 + 0.9) * G),
        ("adagrad", {"lr": 0.1, "eps": 1e-10}, P - 0.1 * G / (np.abs(G) + 1e-10)),
        (
            "rmsprop",
            {"lr": 0.1, "gamma": 0.9, "eps": 1e-8},
            P - 0.1 * G / (np.sqrt(0.1) * np.abs(G) + 1e-8),
        ),
        (
            "adadelta",
            {"rho": 0.9, "eps": 1e-6},
            P - np.sqrt(1e-6) / np.sqrt(0.1 * G**2 + 1e-6) * G,
        ),
        # Bias correction makes Adam's first step lr·sign(g), whatever the betas.
        ("adam", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, P - 0.1 * np.sign(G)),
    ],
)
def test_first_step_closed_form(name, hp, expected):
    new, _ = OPTIMIZERS[name](P, G, {}, **hp)
    np.testing.assert_allclose(new, expected, rtol=1e-7)


def test_momentum_second_step_accumulates_velocity():
    p1, s = OPTIMIZERS["momentum"](P, G, {}, lr=0.1, gamma=0.5)
    p2, _ = OPTIMIZERS["momentum"](p1, G, s, lr=0.1, gamma=0.5)
    np.testing.assert_allclose(p2, P - 0.1 * G - (0.5 * 0.1 * G + 0.1 * G))


def test_adam_bias_correction_uses_power_of_t():
    """The lecture's slip 1 − β·t would give a different (negative) correction at t = 2."""
    state = {}
    p = P
    for _ in range(2):
        p, state = OPTIMIZERS["adam"](p, G, state, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    assert state["t"] == 2
    # A constant gradient makes m̂ = g and n̂ = g² exactly, so every step is lr·sign(g).
    np.testing.assert_allclose(p, P - 0.2 * np.sign(G), rtol=1e-7)


# --- purity, state, dtypes -------------------------------------------------------------------


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_inputs_are_not_mutated_and_runs_do_not_share_state(name):
    params, grad = P.copy(), G.copy()
    step = get_optimizer(name)
    _, state = step(params, grad, {})
    np.testing.assert_array_equal(params, P)
    np.testing.assert_array_equal(grad, G)
    frozen = {k: np.copy(v) for k, v in state.items()}
    step(params, grad, state)
    for k, v in frozen.items():
        np.testing.assert_array_equal(state[k], v)
    # A fresh run started after another gives exactly the same first step.
    a, _ = step(params, grad, {})
    b, _ = step(params, grad, {})
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_float32_stays_float32(name):
    p = np.ones((4, 3), dtype=np.float32)
    new, state = get_optimizer(name)(p, p, {})
    new, _ = get_optimizer(name)(new, p, state)
    assert new.dtype == np.float32 and new.shape == (4, 3)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, hp, message",
    [
        ("sgd", {"lr": -0.1}, r"lr must be .*>= 0"),
        ("sgd", {"lr": float("nan")}, r"lr must be"),
        ("momentum", {"gamma": 1.0}, r"gamma must be .*in \[0, 1\)"),
        ("nesterov", {"gamma": -0.1}, r"gamma must be .*in \[0, 1\)"),
        ("adagrad", {"eps": 0.0}, r"eps must be .*> 0"),
        ("rmsprop", {"gamma": 1.5}, r"gamma must be .*in \[0, 1\)"),
        ("adadelta", {"rho": 1.0}, r"rho must be .*in \[0, 1\)"),
        ("adadelta", {"eps": -1e-6}, r"eps must be .*> 0"),
        ("adam", {"beta1": 1.0}, r"beta1 must be .*in \[0, 1\)"),
        ("adam", {"beta2": 1.2}, r"beta2 must be .*in \[0, 1\)"),
        ("adam", {"lr": -1}, r"lr must be"),
    ],
)
def test_invalid_hyperparameters_name_themselves(name, hp, message):
    with pytest.raises(ValueError, match=message):
        OPTIMIZERS[name](P, G, {}, **hp)


def test_unknown_optimizer_lists_known_ones():
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'.*sgd.*adam"):
        get_optimizer("adamw")


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        OPTIMIZERS["sgd"](P, G[:2], {})


def test_hyperparameter_names_match_the_contract():
    assert {name: list(hyperparameters(name)) for name in OPTIMIZERS} == {
        "sgd": ["lr"],
        "momentum": ["lr", "gamma"],
        "nesterov": ["lr", "gamma"],
        "adagrad": ["lr", "eps"],
        "rmsprop": ["lr", "gamma", "eps"],
        "adadelta": ["rho", "eps", "lr"],
        "adam": ["lr", "beta1", "beta2", "eps"],
        "newton": ["lr", "damping"],
        "bfgs": ["c1", "c2"],
        "lbfgs": ["memory", "c1", "c2"],
        "coordinate_descent": [],
    }


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_numpy_float64_hyperparameters_keep_float32(name):
    p = np.ones(3, dtype=np.float32)
    hp = {k: np.float64(v) for k, v in hyperparameters(name).items()}
    new, state = get_optimizer(name)(p, p, {}, **hp)
    new, _ = get_optimizer(name)(new, p, state, **hp)
    assert new.dtype == np.float32


# --- records ---------------------------------------------------------------------------------


def test_one_record_per_optimizer_with_its_own_colour_and_marker():
    import matplotlib

    palette = {matplotlib.colors.to_hex(c) for c in matplotlib.color_sequences["petroff10"]}
    records = list(OPTIMIZERS.values())
    assert len({r.color for r in records}) == len(records)
    assert len({r.marker for r in records}) == len(records)
    assert all(r.color in palette | {"#000000"} for r in records)
    for name, record in OPTIMIZERS.items():
        assert record.name == name and get_optimizer(name) is record
        assert get_optimizer(record.step) is record
        for hp, default in record.defaults.items():
            lo, hi, _, log = record.slider_range(hp)
            value = np.log10(default) if log else default
            assert lo <= value <= hi or hp == "lr", (name, hp)


def test_records_call_their_step_function():
    new, _ = OPTIMIZERS["sgd"](P, G, {}, lr=0.1)
    np.testing.assert_array_equal(new, P - 0.1 * G)


def test_a_state_of_another_shape_is_an_error():
    _, state = OPTIMIZERS["adam"](np.zeros((3, 2)), np.ones((3, 2)), {})
    with pytest.raises(ValueError, match=r"state\['m'\] has shape \(3, 2\), params have shape"):
        OPTIMIZERS["adam"](np.zeros(2), np.ones(2), state)
    with pytest.raises(TypeError, match="state must be a dict"):
        OPTIMIZERS["momentum"](P, G, None)


@pytest.mark.parametrize("value, error", [("0.1", TypeError), (None, TypeError),
                                          (np.array([0.1, 0.2]), TypeError), (True, TypeError),
                                          (float("inf"), ValueError)])
@pytest.mark.parametrize("name", FIRST_ORDER)
def test_every_hyperparameter_rejects_non_numbers(name, value, error):
    for hp in hyperparameters(name):
        with pytest.raises(error, match=hp):
            OPTIMIZERS[name](P, G, {}, **{hp: value})


def test_unknown_hyperparameter_lists_the_valid_ones():
    from course_utils.optimizers import check_hyperparameters

    with pytest.raises(ValueError, match="adam takes no hyper-parameter gamma; its hyper-parameters"
                                         " are: lr, beta1, beta2, eps"):
        check_hyperparameters("adam", {"gamma": 0.9})
