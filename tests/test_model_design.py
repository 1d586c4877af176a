"""The comparison of deep-network designs behind notebook 17, on a tiny stand-in for MNIST."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.model_design import (  # noqa: E402
    DESIGNS,
    _epochs_for,
    compare_designs,
    format_results,
    plot_designs,
)
from course_utils.nn import Residual  # noqa: E402


def tiny_mnist(n_train=150, n_test=40, seed=0):
    """uint8 28×28 "digits" whose class is the brightest of ten horizontal bands."""
    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 60, (n, 28, 28))
        for i, label in enumerate(y):
            x[i, 2 * label + 4 : 2 * label + 6] += 190
        return x.astype(np.uint8), y

    return make(n_train), make(n_test)


@pytest.fixture(scope="module")
def results():
    return compare_designs(tiny_mnist(), width=8, depth=2, steps=12, pretrain_steps=6)


def test_one_result_per_design_in_registry_order(results):
    assert [r["name"] for r in results] == list(DESIGNS)
    assert [r["label"] for r in results] == [d.label for d in DESIGNS.values()]


def test_result_fields(results):
    for r in results:
        assert r["n_train"] == 150 and r["n_test"] == 40
        assert r["grad_norms"].shape == (3,)  # two hidden Dense layers and the output layer
        assert np.all(r["grad_norms"] > 0)
        assert r["steps"] == [0, 3, 6, 9, 12]  # 150 images = 3 batches per epoch
        assert len(r["test_accuracy"]) == 5 and len(r["loss"]) == 4
        assert all(0 <= a <= 1 for a in r["test_accuracy"])
        assert r["seconds"] > 0
    pretrained = next(r for r in results if r["name"] == "pretrained")
    assert pretrained["pretrain_steps"] == 2 * 6 and pretrained["pretrain_seconds"] > 0
    assert all(r["pretrain_steps"] == 0 for r in results if r["name"] != "pretrained")


def test_deterministic_and_seeded(results):
    again = compare_designs(tiny_mnist(), designs=["relu_he", "residual"], width=8, depth=2,
                            steps=12, pretrain_steps=6)
    for r in again:
        ref = next(x for x in results if x["name"] == r["name"])
        assert r["loss"] == ref["loss"] and r["test_accuracy"] == ref["test_accuracy"]
    other = compare_designs(tiny_mnist(), designs=["relu_he"], width=8, depth=2, steps=12,
                            seed=1)
    assert other[0]["loss"] != again[0]["loss"]


def test_the_budget_is_counted_in_steps():
    assert _epochs_for(3000, 20000) == 10  # 313 batches per epoch
    assert _epochs_for(3000, 4000) == 48  # the small offline set: 63 batches per epoch
    assert _epochs_for(1, 10) == 1


def test_designs_build_what_they_say():
    from course_utils.model_design import _build

    X = np.zeros((64, 20), np.float32)
    y = np.zeros(64, int)
    sizes = (20, 6, 6, 3)
    built = {name: _build(d, sizes, X, y, 0, 1, "sgd", {"lr": 0.1})[0]
             for name, d in DESIGNS.items()}
    assert "relu" in repr(built["relu_he"]) and "sigmoid" not in repr(built["relu_he"])
    assert "BatchNorm1D" in repr(built["batchnorm"])
    assert any(isinstance(layer, Residual) for layer in built["residual"].layers)
    assert repr(built["sigmoid"]) == repr(built["pretrained"])


def test_table_and_figure(results):
    table = format_results(results)
    lines = table.splitlines()
    assert len(lines) == 2 + len(results)
    assert lines[0].split()[0] == "design"
    axes = plot_designs(results)
    assert len(axes[0].lines) == len(results) and len(axes[1].lines) == len(results)
    assert axes[0].get_yscale() == "log"
    np.testing.assert_array_equal(axes[1].lines[0].get_xdata(), results[0]["steps"])
    plt.close("all")


def test_bad_arguments_name_themselves():
    data = tiny_mnist()
    with pytest.raises(ValueError, match="designs"):
        compare_designs(data, designs=["dropout"])
    with pytest.raises(ValueError, match="depth"):
        compare_designs(data, depth=0)
    with pytest.raises(ValueError, match="steps"):
        compare_designs(data, steps=0)


def test_explorer_moves_the_line_to_the_new_norms():
    from course_utils.gradient_flow import weight_gradient_norms
    from course_utils.model_design import EXPLORER_DESIGNS, gradient_norm_explorer
    from course_utils.nn import make_mlp

    rng = np.random.default_rng(0)
    X, y = rng.uniform(-1, 1, (64, 30)), rng.integers(0, 10, 64)
    explorer = gradient_norm_explorer(X, y, depth=3, width=8, backend="image")
    assert repr(explorer) == "Explorer(sliders=['design', 'depth'], backend='image')"
    assert "pretrained" not in EXPLORER_DESIGNS and len(EXPLORER_DESIGNS) == 4
    line = explorer.figure.axes[0].lines[0]
    explorer.sliders["design"].value = "residual"
    explorer.sliders["depth"].value = 5
    expected = weight_gradient_norms(
        make_mlp((30,) + (8,) * 5 + (10,), rng=0, residual=True), X.astype(np.float32), y)
    np.testing.assert_allclose(explorer.trajectory, expected, rtol=1e-6)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-6)
    assert line.get_color() == DESIGNS["residual"].color
    assert "residual, 5 hidden layers" in explorer.figure.axes[0].get_title()
    plt.close("all")


def test_explorer_rejects_what_it_cannot_show():
    from course_utils.model_design import gradient_norm_explorer

    X, y = np.zeros((8, 4)), np.zeros(8, int)
    with pytest.raises(ValueError, match="design"):
        gradient_norm_explorer(X, y, design="pretrained")
    with pytest.raises(ValueError, match="depth"):
        gradient_norm_explorer(X, y, depth=40)
