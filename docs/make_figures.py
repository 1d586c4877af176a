"""Draw the pictures shown in the README from the course library.

    python docs/make_figures.py
"""

import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from course_utils.optimizers import OPTIMIZERS  # noqa: E402
from course_utils.plotting import plot_2d, use_style  # noqa: E402
from course_utils.race import plot_race  # noqa: E402
from course_utils.trajectories import train_2d  # noqa: E402
from course_utils.widgets import optimizer_explorer  # noqa: E402

OUT = pathlib.Path(__file__).parent / "images"
FIRST_ORDER = [name for name, record in OPTIMIZERS.items() if not record.needs]


def main():
    use_style()
    OUT.mkdir(exist_ok=True)

    fig, axes = plt.subplots(1, 3, figsize=(18, 5), layout="constrained")
    for ax, lr in zip(axes, (0.06, 0.61, 0.42), strict=True):
        plot_2d(train_2d("sgd", lr=lr), ax=ax, title=f"SGD, lr = {lr}", optimizer="sgd")
    fig.savefig(OUT / "sgd_learning_rates.png", dpi=60)
    plt.close(fig)

    # Every optimizer in its one colour and marker: the race on the lecture's ravine ...
    fig, _ = plot_race(FIRST_ORDER, surface="ravine", steps=50)
    fig.savefig(OUT / "optimizers.png", dpi=80)
    plt.close(fig)

    # ... and on Rosenbrock's curved valley, as the playground notebook shows it.
    fig, _ = plot_race(["sgd", "momentum", "rmsprop", "adam"], surface="rosenbrock", steps=500)
    fig.savefig(OUT / "race.png", dpi=80)
    plt.close(fig)

    explorer = optimizer_explorer("adam", steps=30, lr=1.0, beta1=0.9, beta2=0.99, eps=1e-6,
                                  sliders=["lr", "beta1", "beta2"], backend="image")
    (OUT / "explorer.png").write_bytes(explorer.view.value)


if __name__ == "__main__":
    main()
