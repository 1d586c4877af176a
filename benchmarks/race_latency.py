"""Kernel-side latency of the race explorer: seven optimizers x 200 steps on Rosenbrock.

Measured in one run, for both backends of the explorer:

* slider change: ``race.sliders["sgd"]["lr"].value = v`` recomputes SGD's path only and blits
  the moving artists onto the cached background; "ready for the front end" is the PNG the
  backend sends (ipympl: the diff image of the canvas, as once the page has shown it; image: the
  whole picture for the image widget);
* canvas click: a mouse press on the contour (ipympl) or ``set_start`` (image backend): a new
  start, all seven paths recomputed and drawn;
* rebuilding instead: what ``interact`` with a plotting function does on every change (all
  seven paths, a new figure, a new contourf, a PNG with ``bbox_inches="tight"`` as the inline
  backend renders it), and the ratio to the slider change.

    python benchmarks/race_latency.py [--repeats 40]

Targets: slider <= 30 ms median, >= 10x faster than rebuilding; click <= 60 ms median.
"""

import argparse
import io
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backend_bases import MouseEvent  # noqa: E402
from slider_latency import time_calls  # noqa: E402  (the sibling benchmark's timer)

from course_utils.optimizers import OPTIMIZERS  # noqa: E402
from course_utils.plotting import use_style  # noqa: E402
from course_utils.race import plot_race, race_explorer  # noqa: E402

SURFACE, STEPS = "rosenbrock", 200
FIRST_ORDER = [name for name, record in OPTIMIZERS.items() if not record.needs]


def live_ipympl_race():
    """An ipympl race as it is once the page shows it: background drawn, diffs sent."""
    race = race_explorer(FIRST_ORDER, surface=SURFACE, steps=STEPS, backend="ipympl")
    canvas = race.figure.canvas
    canvas.syncing_data_url = False  # the front end is there: no full PNG copy in the model
    sent = []
    canvas.send = lambda content, buffers=None: sent.append(sum(len(b) for b in buffers or []))
    canvas.draw()  # what the front end asks for when the canvas appears
    return race, sent


def rebuild(lr):
    """The race as a plotting function under interact: everything anew, rendered inline-style."""
    figure, _ = plot_race(FIRST_ORDER, surface=SURFACE, steps=STEPS,
                          settings={"sgd": {"lr": lr}})
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)


def report(label, ms, extra=""):
    print(f"{label:44s} median {np.median(ms):7.1f} ms   p90 {np.percentile(ms, 90):7.1f} ms"
          f"{extra}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    use_style()
    lrs = [float(v) for v in np.geomspace(5e-4, 2e-3, args.repeats)]
    starts = [(float(x), float(y)) for x, y in zip(np.linspace(-1.6, 1.6, args.repeats),
                                                    np.linspace(-0.5, 2.5, args.repeats)[::-1],
                                                    strict=True)]
    print(f"race: {len(FIRST_ORDER)} optimizers x {STEPS} steps on {SURFACE}; "
          f"{args.repeats} changes per series; load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    race, sent = live_ipympl_race()
    canvas, ax = race.figure.canvas, race._picture.ax

    def slider(v):
        race.sliders["sgd"]["lr"].value = v

    def click(point):
        x, y = ax.transData.transform(point)
        MouseEvent("button_press_event", canvas, x, y, button=1)._process()

    slider(1e-3)  # warm-up
    slider_ms = time_calls(slider, lrs)
    slider_kb = np.median(sent[-len(lrs):]) / 1024
    click_ms = time_calls(click, starts)
    assert np.allclose(race.start, starts[-1])

    image = race_explorer(FIRST_ORDER, surface=SURFACE, steps=STEPS, backend="image")

    def image_slider(v):
        image.sliders["sgd"]["lr"].value = v

    image_slider(1e-3)
    image_ms = time_calls(image_slider, lrs)
    image_click_ms = time_calls(image.set_start, starts)

    rebuild(1e-3)  # warm-up (font cache, first contour)
    rebuild_ms = time_calls(rebuild, lrs[: max(8, args.repeats // 4)])

    report("ipympl: slider -> diff PNG ready", slider_ms, f"   ({slider_kb:.1f} kB sent)")
    report("ipympl: canvas click (7 new paths) -> PNG", click_ms)
    report("image backend: slider -> PNG in widget", image_ms)
    report("image backend: new start (7 paths) -> PNG", image_click_ms)
    report("rebuild: 7 paths + new figure + tight PNG", rebuild_ms)
    print(f"speed-up of a slider change over rebuilding:  ipympl "
          f"{np.median(rebuild_ms) / np.median(slider_ms):5.1f}x   image "
          f"{np.median(rebuild_ms) / np.median(image_ms):5.1f}x")
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
