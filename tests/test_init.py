import math

import numpy as np
import pytest

from course_utils.init import (
    INITIALIZERS,
    TRUNCATED_NORMAL_STD_FACTOR,
    calc_fan,
    get_initializer,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    random_normal,
    random_uniform,
    truncated_normal,
)

REL_TOL = 0.015  # empirical variance on 10**6 draws vs theory

# (initializer, kwargs, shape of 10**6 draws, theoretical variance)
VARIANCE_CASES = [
    (random_uniform, {}, (1000, 1000), 0.1**2 / 12),
    (random_uniform, {"low": -1.0, "high": 1.0}, (1000, 1000), 1 / 3),
    (random_normal, {}, (1000, 1000), 0.05**2),
    (random_normal, {"std": 2.0}, (1000, 1000), 4.0),
    (truncated_normal, {}, (1000, 1000), 1.0),
    (truncated_normal, {"std": 0.3}, (1000, 1000), 0.09),
    (glorot_uniform, {}, (1000, 1000), 2 / 2000),
    (glorot_normal, {}, (1000, 1000), 2 / 2000),
    (glorot_normal, {"gain": 2.0}, (500, 2000), 4 * 2 / 2500),
    # Non-square shapes: He must use fan_in (the first axis of a dense weight).
    (he_uniform, {}, (500, 2000), 2 / 500),
    (he_normal, {}, (500, 2000), 2 / 500),
    (he_normal, {"gain": 0.5}, (1000, 1000), 0.25 * 2 / 1000),
    # Convolution kernel (out, in, k): fan_in = 1000 * 10.
    (he_normal, {}, (100, 1000, 10), 2 / 10_000),
    (glorot_uniform, {}, (100, 1000, 10), 2 / (10_000 + 1000)),
]


def _case_id(case):
    init, kwargs, shape, _ = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{init.__name__}({args})-{'x'.join(map(str, shape))}"


@pytest.mark.parametrize("case", VARIANCE_CASES, ids=_case_id)
def test_variance_and_mean_match_theory(case):
    init, kwargs, shape, var = case
    seed = VARIANCE_CASES.index(case)  # independent draws for each case
    w = init(shape, np.random.default_rng(seed), **kwargs)
    assert w.shape == shape and w.dtype == np.float64 and w.size == 10**6
    assert abs(w.var() / var - 1) < REL_TOL, (w.var(), var)
    # Mean zero to within five standard errors.
    assert abs(w.mean()) < 5 * math.sqrt(var / w.size)


@pytest.mark.parametrize(
    ("init", "fans"),
    [(glorot_uniform, lambda i, o: 6 / (i + o)), (he_uniform, lambda i, o: 6 / i)],
)
def test_uniform_limit(init, fans):
    # Uniform(-a, a): all draws inside, and the edges are reached.
    shape = (300, 700)
    limit = math.sqrt(fans(*shape))
    w = init(shape, np.random.default_rng(0))
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.999 * limit


def _standard_truncated_variance(k=2.0):
    # Var of N(0, 1) cut to [-k, k]: 1 - 2k·φ(k) / (Φ(k) - Φ(-k)).
    phi = math.exp(-k * k / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(k / math.sqrt(2))
    return 1 - 2 * k * phi / mass


def test_correction_factor_is_std_of_truncated_standard_normal():
    assert abs(_standard_truncated_variance() - 0.7737) < 1e-4
    assert TRUNCATED_NORMAL_STD_FACTOR == pytest.approx(
        math.sqrt(_standard_truncated_variance()), rel=1e-12
    )


@pytest.mark.parametrize(("mean", "std"), [(0.0, 1.0), (3.0, 0.05)])
def test_truncated_normal_bound_and_variance(mean, std):
    w = truncated_normal((1000, 1000), np.random.default_rng(7), mean=mean, std=std)
    sigma = std / TRUNCATED_NORMAL_STD_FACTOR
    deviation = np.abs(w - mean)
    assert deviation.max() <= 2 * sigma
    # The cut is at 2σ of the corrected scale, not at 2·std.
    assert deviation.max() > 2 * std * 1.1
    assert abs(w.var() / std**2 - 1) < REL_TOL
    assert abs(w.mean() - mean) < 5 * std / 1000


@pytest.mark.parametrize("init", [glorot_normal, he_normal])
def test_normal_variants_are_truncated(init):
    shape = (1000, 1000)
    w = init(shape, np.random.default_rng(3))
    std = math.sqrt(w.var())
    assert np.abs(w).max() <= 2 * std / TRUNCATED_NORMAL_STD_FACTOR * 1.01


def _uncorrected_truncated_normal(shape, rng, std):
    # The lecture's approach: redraw beyond ±2·std without correcting std first.
    w = rng.normal(0.0, std, size=shape)
    outside = np.abs(w) > 2 * std
    while outside.any():
        w[outside] = rng.normal(0.0, std, size=int(outside.sum()))
        outside = np.abs(w) > 2 * std
    return w


def test_uncorrected_truncation_misses_the_target_variance():
    std = 0.5
    rng = np.random.default_rng(11)
    naive = _uncorrected_truncated_normal((1000, 1000), rng, std)
    ratio = naive.var() / std**2
    assert abs(ratio / _standard_truncated_variance() - 1) < REL_TOL  # ≈ 0.774
    assert ratio < 1 - 0.2  # far outside the tolerance the corrected version meets
    corrected = truncated_normal((1000, 1000), rng, std=std)
    assert abs(corrected.var() / std**2 - 1) < REL_TOL


@pytest.mark.parametrize(
    ("shape", "fans"),
    [
        ((3, 5), (3, 5)),
        ((784, 200), (784, 200)),
        ((16, 3, 5, 5), (75, 400)),
        ((8, 4, 3), (12, 24)),
        ((2, 3, 2, 2, 2), (24, 16)),
        ((7,), (7, 7)),
        (7, (7, 7)),
        ((), (1, 1)),
    ],
)
def test_calc_fan(shape, fans):
    assert calc_fan(shape) == fans


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_same_seed_same_array(name):
    init = INITIALIZERS[name]
    a = init((20, 30), np.random.default_rng(42))
    b = init((20, 30), np.random.default_rng(42))
    c = init((20, 30), np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # One generator moves on between calls.
    rng = np.random.default_rng(42)
    assert not np.array_equal(init((20, 30), rng), init((20, 30), rng))


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_default_rng(name):
    w = INITIALIZERS[name]((4, 6))
    assert w.shape == (4, 6) and w.dtype == np.float64 and np.all(np.isfinite(w))


@pytest.mark.parametrize("init", [random_normal, truncated_normal])
@pytest.mark.parametrize("std", [0.0, -1.0, float("nan")])
def test_invalid_std(init, std):
    with pytest.raises(ValueError, match="std"):
        init((2, 2), std=std)


@pytest.mark.parametrize(("low", "high"), [(1.0, 1.0), (0.5, -0.5)])
def test_invalid_low_high(low, high):
    with pytest.raises(ValueError, match="low"):
        random_uniform((2, 2), low=low, high=high)


@pytest.mark.parametrize("init", [glorot_uniform, glorot_normal, he_uniform, he_normal])
@pytest.mark.parametrize("gain", [0.0, -1.0])
def test_invalid_gain(init, gain):
    with pytest.raises(ValueError, match="gain"):
        init((2, 2), gain=gain)


@pytest.mark.parametrize("shape", [(0, 3), (3, -1), (4, 2, 0), -2])
@pytest.mark.parametrize("func", [calc_fan, *INITIALIZERS.values()], ids=lambda f: f.__name__)
def test_invalid_shape(func, shape):
    with pytest.raises(ValueError, match="shape"):
        func(shape)


def test_non_integer_shape():
    with pytest.raises(TypeError, match="shape"):
        he_normal((2.5, 3))


def test_get_initializer():
    assert set(INITIALIZERS) == {
        "random_uniform",
        "random_normal",
        "truncated_normal",
        "glorot_uniform",
        "glorot_normal",
        "he_uniform",
        "he_normal",
    }
    for name, init in INITIALIZERS.items():
        assert get_initializer(name) is init

    def custom(shape, rng=None):
        return np.zeros(shape)

    assert get_initializer(custom) is custom


@pytest.mark.parametrize("name", ["xavier", "glorot_uniform(gain=2)", "HE_NORMAL", "", 3])
def test_unknown_initializer_lists_known_names(name):
    with pytest.raises(ValueError, match="unknown initializer.*glorot_normal.*he_uniform"):
        get_initializer(name)
