"""Slider latency as a student sees it: key press → first frame with new pixels, in JupyterLab.

The same harness as the browser tests (``tests/browser/harness.py``): JupyterLab on a free
port of 127.0.0.1, Debian's Chromium through Playwright. Each series is one explorer cell,
run in a small generated notebook on both backends (ipympl canvas, PNG image); the page watches
the explorer's picture on every animation frame and reports when it first differs after the
key went down. Prints median, p90 and max per series with the machine's load average.

    python benchmarks/browser_latency.py                     # 2-D, init and race explorers
    python benchmarks/browser_latency.py --changes 40
    python benchmarks/browser_latency.py --every             # every explorer of the course
    python benchmarks/browser_latency.py --notebook notebooks/09_adam.ipynb --cell 28
    python benchmarks/browser_latency.py --code 'optimizer_explorer("adam", lr=0.5)'

The race explorer (``course_utils.race.race_explorer``) is measured when that module exists.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "browser"))
import harness  # noqa: E402

# The target race: all seven first-order optimizers, 200 steps on Rosenbrock.
RACE = ("from course_utils.race import race_explorer\n"
        "race_explorer(['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adadelta', 'adam'], "
        "surface='rosenbrock', steps=200)")

# Installed in the page: a signature of the explorer's picture, and a wait for it to change.
_PROBE_JS = """el => {
  const view = el.querySelector('.jupyter-matplotlib-canvas-div canvas, img');
  const w = view.width || view.naturalWidth, h = view.height || view.naturalHeight;
  const off = document.createElement('canvas'); off.width = w; off.height = h;
  const ctx = off.getContext('2d', {willReadFrequently: true});
  const sig = () => {
    if (view.tagName === 'IMG' && !(view.complete && view.naturalWidth)) return null;
    ctx.clearRect(0, 0, w, h); ctx.drawImage(view, 0, 0);
    const d = ctx.getImageData(0, 0, w, h).data;
    let s = 0; for (let i = 0; i < d.length; i += 7) s = (s * 31 + d[i]) >>> 0;
    return s;
  };
  window.courseProbe = {sig, base: sig(), t0: null};
  if (!window.courseProbeKeys) {
    window.courseProbeKeys = true;
    document.addEventListener('keydown', () => {
      if (window.courseProbe) window.courseProbe.t0 = performance.now(); }, true);
  }
  return true;
}"""
_WAIT_JS = """timeout => new Promise(resolve => {
  const p = window.courseProbe, start = performance.now();
  const frame = now => {
    const s = p.sig();
    if (p.t0 !== null && s !== null && s !== p.base) { p.base = s; resolve(now - p.t0); return; }
    if (performance.now() - start > timeout) { resolve(null); return; }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})"""


def _cell_source(notebook, cell):
    return "".join(json.loads(pathlib.Path(notebook).read_text())["cells"][cell]["source"])


def _default_series():
    series = []
    for name in ("05_gradient_descent_2d.ipynb", "11_initialization.ipynb"):
        path = harness.NOTEBOOKS / name
        cells = harness.explorer_cells(path)
        if cells:
            series.append((f"{name[:2]} {name[3:-6]}", _cell_source(path, cells[-1]), None))
    if importlib.util.find_spec("course_utils.race") is None:
        print("note: course_utils.race is not there yet: the race explorer is not measured")
    else:
        series.append(("race explorer", RACE, "sgd.lr"))
    return series


def _slider_name(nb, index, name):
    """``name`` when the explorer has that slider, else its first one on show."""
    state = nb.kernel_state()[index]
    if name not in state["limits"]:
        name = next(key for key in state["limits"] if nb.control(index, key).is_visible())
    return name, state


def measure(nb, changes, slider_name=None, index=0):
    """Milliseconds from key down to the first frame with new pixels, ``changes`` times."""
    nb.wait_pixels(index, harness.non_blank, "only blank pixels")
    name, state = _slider_name(nb, index, slider_name)
    low, high = state["limits"][name]
    key = "ArrowRight"
    times = []
    for _ in range(changes):
        nb.wait_idle(settle=0.2)
        now = nb.kernel_state()[index]
        value = now["index"].get(name, now["values"][name])  # a selection slider: its index
        if name in state["log"]:  # a log slider's limits are powers of ten
            value = np.log10(value)
        if value >= high:
            key = "ArrowLeft"
        elif value <= low:
            key = "ArrowRight"
        nb.explorer(index).scroll_into_view_if_needed()
        nb.explorer(index).evaluate(_PROBE_JS)
        nb.press(index, name, key)
        elapsed = nb.page.evaluate(_WAIT_JS, 30_000)
        if elapsed is None:
            raise RuntimeError(f"{nb.name}: no new pixels within 30 s of a key press")
        times.append(elapsed)
    return np.array(times), name


def _with_backend(notebook, backend):
    """A copy of ``notebook`` (a dict) whose kernel picks ``backend`` before anything else."""
    first = harness.small_notebook([f"import os\nos.environ['COURSE_EXPLORER'] = '{backend}'"])
    return {**notebook, "cells": first["cells"] + notebook["cells"]}


def _course_notebooks(backends):
    """Every explorer of the course in its own notebook: (label, file, explorer, slider) rows."""
    extra, jobs = {}, []
    for path in harness.notebooks_with_explorers():
        notebook = json.loads(path.read_text())
        for backend in backends:
            name = f"latency_{path.stem}_{backend}.ipynb"
            extra[name] = _with_backend(notebook, backend)
            for index, cell in enumerate(harness.explorer_cells(notebook)):
                jobs.append((f"{path.stem[:20]} cell {cell}", backend, name, index, None))
    return extra, jobs


def _one_cell_notebooks(series, backends):
    extra, jobs = {}, []
    for i, (label, code, slider) in enumerate(series):
        for backend in backends:
            name = f"latency_{i}_{backend}.ipynb"
            extra[name] = _with_backend(harness.small_notebook([harness.SET_UP, code]), backend)
            jobs.append((label, backend, name, 0, slider))
    return extra, jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20, help="key presses per series (≥ 20)")
    parser.add_argument("--every", action="store_true",
                        help="every explorer of every notebook, in its notebook after Run All")
    parser.add_argument("--notebook", help="a notebook with an explorer cell (with --cell)")
    parser.add_argument("--cell", type=int, help="index of the explorer cell in --notebook")
    parser.add_argument("--code", help="an explorer call to measure instead")
    parser.add_argument("--slider", help="the slider to press (default: the race's sgd.lr, depth, "
                        "else the first on show)")
    parser.add_argument("--backends", nargs="+", default=["ipympl", "image"],
                        choices=["ipympl", "image"])
    args = parser.parse_args()
    if args.changes < 20:
        parser.error("--changes must be at least 20")
    problem = harness.chromium_problem()
    if problem:
        sys.exit(f"cannot measure: {problem}")
    if args.every:
        extra, jobs = _course_notebooks(args.backends)
    else:
        if args.code:
            series = [("code", args.code, None)]
        elif args.notebook:
            if args.cell is None:
                parser.error("--notebook needs --cell")
            series = [(f"{pathlib.Path(args.notebook).stem} cell {args.cell}",
                       _cell_source(args.notebook, args.cell), None)]
        else:
            series = _default_series()
        extra, jobs = _one_cell_notebooks(series, args.backends)
    print(f"{'series':<28} {'backend':<7} {'slider':<10} {'n':>3} {'median':>8} {'p90':>8} "
          f"{'max':>8}   load average (1, 5, 15 min) before → after")
    medians = []
    with harness.Lab(extra=extra) as lab, harness.chromium() as context:
        tab = harness.LabPage(lab, context)
        nb = opened = None
        for label, backend, name, index, series_slider in jobs:
            if name != opened:  # each notebook runs once for all its explorers
                if nb is not None:
                    nb.close()
                nb, opened = harness.NotebookPage(tab, name), name
                nb.run_all()
            slider = args.slider or series_slider or "depth"
            before = os.getloadavg()
            times, slider = measure(nb, args.changes, slider, index)
            after = os.getloadavg()
            medians.append(np.median(times))
            load = " ".join(f"{v:.1f}" for v in before) + " → " + " ".join(
                f"{v:.1f}" for v in after)
            print(f"{label:<28} {backend:<7} {slider:<10} {len(times):>3} "
                  f"{np.median(times):6.0f}ms {np.percentile(times, 90):6.0f}ms "
                  f"{times.max():6.0f}ms   {load}", flush=True)
        if nb is not None:
            nb.close()
        tab.close()
    print(f"{len(medians)} series: the slowest median {max(medians):.0f} ms "
          f"(target: every median ≤ 100 ms)")


if __name__ == "__main__":
    main()
