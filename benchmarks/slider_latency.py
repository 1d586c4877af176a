"""Kernel-side latency of a slider change, from the new value to a finished redraw (Agg).

Two ways of redrawing the same SGD picture are measured in one run:

* course explorer: ``explorer.sliders["lr"].value = v`` recomputes the path and blits the moving
  artists onto the cached background (the image backend also encodes the PNG it shows);
* lecture style: what ``interact`` with a plotting function does on every change: a new figure,
  a new ``contourf``, a full render to PNG.

    python benchmarks/slider_latency.py [--repeats 60]
"""

import argparse
import io
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_utils.functions import f_2d  # noqa: E402
from course_utils.plotting import use_style  # noqa: E402
from course_utils.trajectories import train_2d  # noqa: E402
from course_utils.widgets import optimizer_explorer  # noqa: E402


def lecture_style_redraw(lr):
    """The lecture's plot_2d under interact: rebuild all, render as the inline backend does."""
    path = train_2d("sgd", lr=lr)
    fig = plt.figure(figsize=(10, 6))
    plt.plot([0], [0], "r*", ms=15)
    plt.text(0.0, 0.25, "minimum", color="w")
    plt.plot(path[0, 0], path[0, 1], "ro", ms=10)
    plt.text(path[0, 0] + 0.1, path[0, 1] + 0.2, "start", color="w")
    plt.plot(path[:, 0], path[:, 1], "-o", color="#ff7f0e")
    plt.plot(path[-1, 0], path[-1, 1], "wo")
    plt.text(path[-1, 0], path[-1, 1] - 0.25, "end", color="w")
    x1, x2 = np.meshgrid(np.linspace(-5.5, 3, 50), np.linspace(-3, 3, 100))
    plt.contourf(x1, x2, f_2d(x1, x2), cmap="gnuplot")
    plt.xlabel("x1")
    plt.ylabel("x2")
    plt.title("SGD")
    buffer = io.BytesIO()
    # matplotlib-inline renders every figure to PNG with bbox_inches="tight".
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)


def time_calls(fn, values):
    times = []
    for v in values:
        start = time.perf_counter()
        fn(v)
        times.append(time.perf_counter() - start)
    return np.array(times) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    use_style()
    values = [round(float(v), 2) for v in np.linspace(0.05, 0.95, args.repeats)]

    explorer = optimizer_explorer("sgd", lr=0.42, backend="image")

    def course(v):
        explorer.sliders["lr"].value = v

    def course_canvas_only(v):
        # What the ipympl canvas does in the kernel before it sends the changed pixels.
        explorer._draw(explorer._compute(lr=v), {"lr": v})
        explorer.figure.canvas.restore_region(explorer._background)
        explorer._draw_moving_artists()

    lecture_style_redraw(0.42)  # warm-up (font cache, first contour)
    course(0.41)
    course_ms = time_calls(course, values)
    canvas_ms = time_calls(course_canvas_only, values)
    lecture_ms = time_calls(lecture_style_redraw, values[: max(10, args.repeats // 3)])

    print(f"slider changes measured: {len(values)} (lecture style: {len(lecture_ms)})")
    print(f"course explorer, redraw incl. PNG   median {np.median(course_ms):7.1f} ms"
          f"   p90 {np.percentile(course_ms, 90):7.1f} ms")
    print(f"course explorer, canvas redraw only median {np.median(canvas_ms):7.1f} ms")
    print(f"lecture style (new figure + PNG)    median {np.median(lecture_ms):7.1f} ms"
          f"   p90 {np.percentile(lecture_ms, 90):7.1f} ms")
    ratio = np.median(lecture_ms) / np.median(course_ms)
    print(f"speed-up (lecture / course):        {ratio:7.1f}x")


if __name__ == "__main__":
    main()
