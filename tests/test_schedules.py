"""course_utils.schedules against torch.optim.lr_scheduler, and schedules inside the training loops.

The torch values come from tests/fixtures/make_loss_schedule_fixtures.py.
"""

import json
import pathlib

import numpy as np
import pytest

from course_utils import schedules
from course_utils.functions import f_2d_grad
from course_utils.nn import make_mlp, softmax_cross_entropy, train
from course_utils.optimizers import momentum, sgd
from course_utils.schedules import (
    cosine_lr,
    exponential_lr,
    linear_warmup,
    scheduled_momentum_path,
    step_lr,
)
from course_utils.trajectories import train_2d

FIXTURES = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "torch_losses_schedules.json").read_text())


def _make(case):
    return getattr(schedules, case["schedule"])(**case["hyperparams"])


@pytest.mark.parametrize("case", FIXTURES["schedules"],
                         ids=lambda c: f"{c['schedule']}-{len(c['lr'])}")
def test_schedule_equals_torch(case):
    schedule = _make(case)
    expected = np.array(case["lr"])
    got = [schedule(t) for t in range(len(expected))]
    # torch computes CosineAnnealingLR and LinearLR recursively: equal up to rounding
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(schedule(np.arange(len(expected))), expected, rtol=1e-12,
                               atol=1e-15)


def test_fixtures_cover_every_schedule():
    assert {c["schedule"] for c in FIXTURES["schedules"]} == {
        "step_lr", "exponential_lr", "cosine_lr", "linear_warmup"}


def test_closed_forms_and_what_comes_after():
    assert [step_lr(1.0, 2, 0.5)(t) for t in range(6)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert exponential_lr(2.0, 0.5)(3) == 0.25
    cosine = cosine_lr(0.4, t_max=10, lr_min=0.1)
    assert cosine(0) == 0.4 and cosine(5) == pytest.approx(0.25) and cosine(10) == 0.1
    assert cosine(11) == 0.1 and cosine(10**6) == 0.1  # after t_max: lr_min (torch's rises again)
    warm = linear_warmup(0.2, 0.25, 4)
    assert [warm(t) for t in range(6)] == pytest.approx([0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2])


def test_values_are_plain_floats_and_arrays_for_arrays():
    value = cosine_lr(0.1, 10)(3)
    assert type(value) is float
    values = step_lr(0.1, 3, 0.5)(np.arange(7))
    assert isinstance(values, np.ndarray) and values.shape == (7,)
    assert repr(step_lr(0.1, 3, 0.5)) == "step_lr(lr=0.1, step_size=3, gamma=0.5)"


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: step_lr(-0.1, 3, 0.5), ValueError, "lr must be a finite number >= 0, got -0.1"),
        (lambda: step_lr(0.1, 0, 0.5), ValueError, "step_size must be a whole number >= 1"),
        (lambda: step_lr(0.1, 2.5, 0.5), ValueError, "step_size must be a whole number"),
        (lambda: step_lr(0.1, 3, 1.5), ValueError, r"gamma must be a finite number in \(0, 1\]"),
        (lambda: exponential_lr(0.1, 0.0), ValueError, "gamma must be"),
        (lambda: exponential_lr("0.1", 0.9), TypeError, "lr must be a real number"),
        (lambda: cosine_lr(0.1, 0), ValueError, "t_max must be a whole number >= 1"),
        (lambda: cosine_lr(0.1, 10, lr_min=0.2), ValueError,
         r"lr_min must be a finite number in \[0, 0.1\], got 0.2"),
        (lambda: linear_warmup(0.1, 0.0, 5), ValueError, "start_factor must be"),
        (lambda: linear_warmup(0.1, 0.5, 0), ValueError, "warmup_steps must be"),
        (lambda: step_lr(0.1, 3, 0.5)(-1), ValueError, "t must be a whole number >= 0, got -1"),
        (lambda: step_lr(0.1, 3, 0.5)(1.5), ValueError, "t must be a whole number"),
        (lambda: step_lr(0.1, 3, 0.5)(None), TypeError, "t must be a whole number, got None"),
        (lambda: step_lr(0.1, 3, 0.5)(np.array([0, -2])), ValueError, "t must be whole"),
        (lambda: step_lr(0.1, 3, 0.5)(np.array(["a"])), TypeError, "t must be whole"),
    ],
)
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- momentum under a schedule: the course's form and torch's ----------------------------------


def _path(case, form):
    if case["surface"] == "f_2d":
        grad = lambda point: f_2d_grad(*point)  # noqa: E731
    else:
        sequence = iter(np.array(case["grads"]))
        grad = lambda point: next(sequence)  # noqa: E731
    return scheduled_momentum_path(grad, case["start"], len(case["path"]) - 1, _make(case),
                                   case["momentum"], form=form)


def _rescaled_course_step(case):
    """torch's form from the course's step: v rescaled by η_t / η_(t-1) before each step.

    With v = η_t·b the two forms agree, so this rescaling is all that tells them apart.
    """
    schedule = _make(case)
    point, state, previous = np.array(case["start"], dtype=float), {}, None
    path = [point]
    for t in range(len(case["path"]) - 1):
        lr = schedule(t)
        if state:
            state = {"v": state["v"] * (lr / previous)}
        g = np.array(case["grads"][t]) if "grads" in case else f_2d_grad(*point)
        point, state = momentum(point, g, state, lr=lr, gamma=case["momentum"])
        path.append(point)
        previous = lr
    return np.array(path)


@pytest.mark.parametrize("case", FIXTURES["momentum"], ids=lambda c: c["schedule"])
def test_momentum_under_a_schedule_against_torch(case):
    torch_path = np.array(case["path"])
    np.testing.assert_allclose([_make(case)(t) for t in range(len(case["lr"]))], case["lr"],
                               rtol=1e-12)
    np.testing.assert_allclose(_path(case, "torch"), torch_path, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_rescaled_course_step(case), torch_path, rtol=1e-10, atol=1e-12)
    # the course's own form is another path once the rate changes ...
    course = _path(case, "course")
    assert np.abs(course - torch_path).max() > 1e-3
    # ... and it is what train_2d does
    if case["surface"] == "f_2d":
        np.testing.assert_array_equal(
            course, train_2d("momentum", steps=len(course) - 1, lr=_make(case),
                             gamma=case["momentum"]))


def test_momentum_paths_agree_while_the_rate_is_constant():
    case = next(c for c in FIXTURES["momentum"] if c["schedule"] == "step_lr")
    step_size = case["hyperparams"]["step_size"]
    course = _path(case, "course")
    # identical for the first step_size steps, apart after the first drop
    np.testing.assert_allclose(course[: step_size + 1], case["path"][: step_size + 1], rtol=1e-12)
    assert not np.allclose(course[step_size + 2], case["path"][step_size + 2])
    np.testing.assert_allclose(scheduled_momentum_path(lambda p: f_2d_grad(*p), (-5.0, -2.0), 30,
                                                       0.1, 0.9, form="torch"),
                               train_2d("momentum", steps=30, lr=0.1, gamma=0.9), rtol=1e-12)
    with pytest.raises(ValueError, match="form must be one of"):
        scheduled_momentum_path(lambda p: p, (0.0,), 3, 0.1, 0.9, form="keras")


# --- schedules in train_2d and nn.train --------------------------------------------------------


def test_train_2d_with_a_schedule_equals_a_hand_written_loop():
    schedule = cosine_lr(0.4, t_max=20, lr_min=0.01)
    path = train_2d("sgd", steps=25, lr=schedule)
    x = np.array([-5.0, -2.0])
    for t in range(25):
        x = x - schedule(t) * f_2d_grad(*x)
        np.testing.assert_allclose(path[t + 1], x, rtol=1e-14)


def _hand_written_train(model, X, y, epochs, batch_size, seed, step, **hp):
    """The loop nn.train runs, written out: t counts optimizer steps over all epochs."""
    rng = np.random.default_rng(seed)
    states = {(i, k): {} for i, layer in enumerate(model.layers) for k in layer.params}
    t = 0
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for first in range(0, len(X), batch_size):
            batch = order[first:first + batch_size]
            _, dlogits = softmax_cross_entropy(model.forward(X[batch]), y[batch])
            model.backward(dlogits)
            now = {k: v(t) if callable(v) else v for k, v in hp.items()}
            for i, layer in enumerate(model.layers):
                for k, p in layer.params.items():
                    layer.params[k], states[i, k] = step(p, layer.grads[k], states[i, k], **now)
            t += 1


@pytest.mark.parametrize("step, hp", [
    (sgd, {"lr": step_lr(0.5, 3, 0.5)}),
    (momentum, {"lr": linear_warmup(0.2, 0.1, 5), "gamma": 0.9}),
])
def test_nn_train_with_a_schedule_equals_a_hand_written_loop(step, hp):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6)).astype(np.float32)
    y = rng.integers(0, 3, size=40)
    model, reference = make_mlp((6, 5, 3), rng=1), make_mlp((6, 5, 3), rng=1)
    train(model, X, y, optimizer=step, epochs=3, batch_size=16, seed=4, progress=False, **hp)
    _hand_written_train(reference, X, y, 3, 16, 4, step, **hp)
    for layer, ref in zip(model.layers, reference.layers, strict=True):
        for k in layer.params:
            np.testing.assert_array_equal(layer.params[k], ref.params[k])
            assert layer.params[k].dtype == np.float32
    # the schedule mattered: a constant rate gives other weights
    constant = make_mlp((6, 5, 3), rng=1)
    train(constant, X, y, optimizer=step, epochs=3, batch_size=16, seed=4, progress=False,
          **{k: v(0) if callable(v) else v for k, v in hp.items()})
    assert not np.array_equal(constant.layers[0].params["W"], model.layers[0].params["W"])


def test_nn_train_counts_steps_over_epochs():
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1

    X = np.zeros((10, 4), np.float32)
    train(make_mlp((4, 3, 2), rng=0), X, np.zeros(10, int), epochs=2, batch_size=4,
          progress=False, lr=schedule)
    # The first call checks the settings before any training; then 3 batches × 2 epochs.
    assert seen == [0] + list(range(6))
