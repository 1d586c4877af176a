"""Draw the pictures shown in the README from the course library.

    python docs/make_figures.py
"""

import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from course_utils.plotting import plot_1d, plot_2d, use_style  # noqa: E402
from course_utils.trajectories import train_1d, train_2d  # noqa: E402
from course_utils.widgets import optimizer_explorer  # noqa: E402

OUT = pathlib.Path(__file__).parent / "images"


def main():
    use_style()
    OUT.mkdir(exist_ok=True)

    fig, axes = plt.subplots(1, 3, figsize=(18, 5), layout="constrained")
    for ax, lr in zip(axes, (0.06, 0.61, 0.42), strict=True):
        plot_2d(train_2d("sgd", lr=lr), ax=ax, title=f"SGD, lr = {lr}")
    fig.savefig(OUT / "sgd_learning_rates.png", dpi=60)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(16, 5), layout="constrained")
    plot_1d({f"lr = {lr}": train_1d("sgd", lr=lr) for lr in (0.1, 0.9, 1.04)}, ax=axes[0],
            title=r"$L(\theta) = \theta^2$")
    plot_2d({
        "Momentum (0.02, 0.91)": train_2d("momentum", lr=0.02, gamma=0.91),
        "SGD (0.42)": train_2d("sgd", lr=0.42),
        "Adam (0.35, 0.5, 0.99)": train_2d("adam", steps=30, lr=0.35, beta1=0.5, beta2=0.99,
                                           eps=1e-6),
    }, ax=axes[1], title=r"$f = 0.1 x_1^2 + 2 x_2^2$")
    fig.savefig(OUT / "optimizers.png", dpi=60)
    plt.close(fig)

    explorer = optimizer_explorer("adam", steps=30, lr=1.0, beta1=0.9, beta2=0.99, eps=1e-6,
                                  sliders=["lr", "beta1", "beta2"], backend="image")
    (OUT / "explorer.png").write_bytes(explorer.view.value)


if __name__ == "__main__":
    main()
