"""JupyterLab in headless Chromium: open a notebook, Run All, find its explorers, drive them.

Shared by the browser tests (``tests/browser``) and ``benchmarks/browser_latency.py``. The
server runs on a scratch copy of the notebooks (nothing committed is touched), on a free port of
127.0.0.1 with a token, with autosave and every network fetch of JupyterLab turned off. Chromium
is Debian's ``/usr/bin/chromium`` driven by Playwright, kept off the network too.
"""

import ast
import contextlib
import io
import json
import os
import pathlib
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
from PIL import Image

from course_utils.widgets import control_class

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CHROMIUM = pathlib.Path("/usr/bin/chromium")
# Failure screenshots land here (git-ignored); CI keeps the folder as the run's artifacts.
ARTIFACTS = ROOT / "browser-artifacts"
WINDOW = {"width": 1280, "height": 800}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
# A call of any course explorer: optimizer_explorer(, init_explorer(, race_explorer(, Explorer(
EXPLORER_CALL = re.compile(r"^(?!\s*(def|import|from)\b).*\b[a-z0-9_]*explorer\(", re.M | re.I)
# The first cell of a generated notebook: what the course's notebooks import for explorers.
SET_UP = ("%matplotlib inline\nfrom course_utils.plotting import use_style\n"
          "from course_utils.widgets import optimizer_explorer, gradient_descent_1d_explorer\n"
          "from course_utils.init_stats import init_explorer\nuse_style()")
WIDGET_ERRORS = ("Error displaying widget", "Failed to load model class", "Model not found")
# JupyterLab's user settings for the run: no autosave, no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"disclaimed": False},
    # Every cell in the page, so every explorer can be found and looked at.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def explorer_cells(notebook):
    """Indices of the code cells of ``notebook`` (a path or a dict) that call an explorer."""
    if not isinstance(notebook, dict):
        notebook = json.loads(pathlib.Path(notebook).read_text())
    return [i for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "code"
            and EXPLORER_CALL.search("".join(cell["source"]))]


def notebooks_with_explorers(folder=NOTEBOOKS):
    """The course's notebooks that show at least one explorer, in course order."""
    return [path for path in sorted(pathlib.Path(folder).glob("[0-9][0-9]_*.ipynb"))
            if explorer_cells(path)]


def small_notebook(cells):
    """A notebook (dict) of code cells, e.g. an explorer cell after a set-up cell."""
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell{i}",
                   "metadata": {}, "outputs": [], "source": source}
                  for i, source in enumerate(cells)],
        "metadata": json.loads((NOTEBOOKS / "00_overview.ipynb").read_text())["metadata"],
        "nbformat": 4, "nbformat_minor": 5,
    }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_problem():
    """Why Chromium cannot be used here (None when it can)."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: `make test` installs it with `apt-get install -y "
                "chromium` (as root); install it by hand where that is not possible")
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed: run `make setup` (it is pinned in requirements.txt)"
    return None


class Lab:
    """A JupyterLab server on a scratch copy of ``notebooks`` (a context manager)."""

    def __init__(self, notebooks=NOTEBOOKS, extra=None, app="lab"):
        self.scratch = pathlib.Path(tempfile.mkdtemp(prefix="course-lab-"))
        self.root = self.scratch / "notebooks"
        shutil.copytree(notebooks, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for name, notebook in (extra or {}).items():
            (self.root / name).write_text(json.dumps(notebook))
        self.port, self.token, self.app = free_port(), secrets.token_hex(16), app
        self.runtime = self.scratch / "runtime"
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _env(self):
        settings = self.scratch / "settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.scratch / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(self.runtime), JUPYTER_CONFIG_DIR=str(
                       self.scratch / "config"), PYTHONUNBUFFERED="1")
        env.pop("COURSE_EXPLORER", None)
        return env

    def start(self, timeout=60):
        common = [f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                  "--ServerApp.ip=127.0.0.1", "--ServerApp.open_browser=False",
                  f"--IdentityProvider.token={self.token}", "--ServerApp.allow_root=True"]
        if self.app == "lab":
            cmd = [sys.executable, "-m", "jupyter", "lab", *common,
                   f"--ServerApp.root_dir={self.root}", "--LabApp.expose_app_in_browser=True",
                   "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
        else:  # Voilà serving one notebook: self.app is its file name
            cmd = [sys.executable, "-m", "voila", str(self.root / self.app), "--no-browser",
                   f"--Voila.port={self.port}", "--Voila.port_retries=0", "--Voila.ip=127.0.0.1",
                   f"--Voila.token={self.token}"]
        self.log = open(self.scratch / "server.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(cmd, cwd=self.root, env=self._env(), stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_text()[-3000:]}")
            with contextlib.suppress(OSError):
                status = "/api/status" if self.app == "lab" else "/"
                urllib.request.urlopen(f"{self.url}{status}?token={self.token}", timeout=2)
                return self
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer in {timeout} s: {self.log_text()[-3000:]}")

    def log_text(self):
        return (self.scratch / "server.log").read_text(errors="replace")

    def api(self, path, method="GET"):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=20) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernel_client(self, notebook_name):
        """A client of the kernel that runs ``notebook_name`` (for questions, not for output)."""
        from jupyter_client import BlockingKernelClient

        for session in self.api("/api/sessions"):
            if session["path"].endswith(notebook_name):
                client = BlockingKernelClient(connection_file=str(
                    self.runtime / f"kernel-{session['kernel']['id']}.json"))
                client.load_connection_file()
                client.start_channels()
                client.wait_for_ready(timeout=30)
                return client
        raise RuntimeError(f"no kernel runs {notebook_name}")

    def shutdown_kernels(self):
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def chromium():
    """A fresh headless Chromium window of 1 280 × 800 (a Playwright persistent context)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="course-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
            viewport=WINDOW, device_scale_factor=1)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


# ---------------------------------------------------------------------------
# A notebook page
# ---------------------------------------------------------------------------

# One query for everything the checks need about the explorers under a root element.
_EXPLORERS_JS = """root => [...root.querySelectorAll('.course-explorer')].map((e, i) => {
  const view = e.querySelector('.jupyter-matplotlib-canvas-div canvas, img');
  const area = e.closest('.jp-OutputArea-output') || e.parentElement;
  const box = r => { const b = r.getBoundingClientRect();
                     return {left: b.left, right: b.right, width: b.width, height: b.height}; };
  const toolbar = e.querySelector('.jupyter-matplotlib-toolbar');
  return {
    index: i, explorer: box(e), area: box(area), scrollWidth: e.scrollWidth,
    clientWidth: e.clientWidth,
    view: view ? {...box(view), tag: view.tagName,
                  natural: view.tagName === 'IMG' ? view.naturalWidth
                           : view.width / (window.devicePixelRatio || 1)} : null,
    toolbarVisible: toolbar ? getComputedStyle(toolbar).display !== 'none'
                              && getComputedStyle(toolbar).visibility !== 'hidden' : false,
  };
})"""

# The notebook panel of a path, in JupyterLab's shell.
_PANEL_JS = """path => [...window.jupyterapp.shell.widgets('main')].find(
  w => w.context && w.context.path === path)"""


# Defined in a notebook's kernel by the tests (quietly): what each explorer shows.
_PROBE = """
def _course_probe():
    import ipywidgets
    from course_utils.widgets import Explorer

    def plain(value):
        return value if isinstance(value, (int, float, str)) else repr(value)

    def walk(controls, prefix, out):
        for key, control in controls.items():
            if isinstance(control, dict):
                walk(control, f"{prefix}{key}.", out)
            else:
                out[prefix + key] = control
        return out

    found = []
    for e in list(ipywidgets.Widget.widgets.values()):
        if not isinstance(e, Explorer):
            continue
        controls = walk(e.sliders, "", {})
        texts = [a for a in getattr(e, "_artists", []) if hasattr(a, "get_text")]
        texts += [t for ax in e.figure.axes for t in (ax.title, ax._left_title, ax._right_title)]
        texts += list(e.figure.texts)
        found.append({
            "values": {k: plain(c.value) for k, c in controls.items()},
            # A selection slider (the coordinate-descent angle) moves over its options' indices.
            "limits": {k: (c.min, c.max) if hasattr(c, "max") else (0, len(c.options) - 1)
                       for k, c in controls.items()
                       if hasattr(c, "max") or isinstance(c, ipywidgets.SelectionSlider)},
            "index": {k: c.index for k, c in controls.items()
                      if isinstance(c, ipywidgets.SelectionSlider)},
            "log": [k for k, c in controls.items() if isinstance(c, ipywidgets.FloatLogSlider)],
            # Where a click acts (figure fractions x0, y0, x1, y1 from the bottom left), and the
            # race's start point.
            "click": (list(map(float, e.click_axes.get_position().extents))
                      if getattr(e, "click_axes", None) is not None else None),
            "start": list(map(float, e.start)) if hasattr(e, "start") else None,
            "titles": list(dict.fromkeys(t.get_text() for t in texts if t.get_text().strip())),
        })
    return found
"""


class LabPage:
    """One browser tab with JupyterLab; notebooks open in it side by side as JupyterLab tabs.

    One JupyterLab app for all notebooks: its start-up is a good part of the cost of a page.
    Console errors are collected for the whole tab.
    """

    def __init__(self, lab, context):
        self.lab, self.page = lab, context.new_page()
        self.console_errors = []
        self.failed_requests = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(f"page: {error}"))
        self.page.on("requestfailed", lambda r: self.failed_requests.append(r.url))
        # A console error for a failed load does not name it: keep what the server refused.
        self.page.on("response", lambda r: r.status >= 400 and self.console_errors.append(
            f"HTTP {r.status} {r.request.method} {r.url.split('?')[0]}"))
        if lab.app == "lab":
            self.page.goto(f"{lab.url}/lab?reset&token={lab.token}", timeout=120_000)
            self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands"
                                        ".hasCommand('docmanager:open')", timeout=120_000)
            self.page.evaluate("() => window.jupyterapp.restored.then(() => true)")
        else:  # Voilà streams the page while the notebook runs: do not wait for "load"
            self.page.goto(f"{lab.url}/?token={lab.token}", wait_until="commit",
                           timeout=120_000)

    def external_failures(self):
        """Requests that failed because they left this machine (a CDN, say)."""
        return [url for url in self.failed_requests if not url.startswith(self.lab.url)]

    def close(self):
        self.page.close()


class NotebookPage:
    """A notebook in JupyterLab (or the notebook Voilà shows), with helpers to drive it."""

    def __init__(self, lab_page, name, wait=True):
        self.tab, self.lab, self.page, self.name = lab_page, lab_page.lab, lab_page.page, name
        self.path = name
        self._kernel = None
        self.root = self.page.locator("body")
        if self.lab.app == "lab":
            self.page.evaluate("p => window.jupyterapp.commands.execute('docmanager:open', "
                               "{path: p}).then(() => true)", name)
            if wait:
                self.wait_open()

    def wait_open(self, timeout=300_000):
        """Until the notebook is loaded, its kernel started and idle."""
        self.page.wait_for_function(f"p => {{ const w = ({_PANEL_JS})(p); return w &&"
                                    " w.context.isReady && w.sessionContext.session &&"
                                    " w.sessionContext.session.kernel; }", arg=self.name,
                                    timeout=timeout)
        self.panel_id = self._js("w => w.id")
        self.root = self.page.locator(f"[id='{self.panel_id}']")
        self.wait_idle(timeout)
        return self

    @property
    def console_errors(self):
        return self.tab.console_errors

    def _js(self, body, arg=None):
        """Evaluate ``body`` (a JS function of the notebook panel and ``arg``)."""
        return self.page.evaluate(f"([p, a]) => ({body})(({_PANEL_JS})(p), a)", [self.path, arg])

    def show(self):
        """Make this notebook JupyterLab's current tab (what the checks and commands act on)."""
        if self.lab.app == "lab":
            self._js("w => window.jupyterapp.shell.activateById(w.id)")
            self.page.wait_for_function(
                f"p => window.jupyterapp.shell.currentWidget === ({_PANEL_JS})(p)"
                " && document.activeElement && window.jupyterapp.shell.currentWidget.node"
                ".contains(document.activeElement)", arg=self.name, timeout=30_000)
        return self

    def dirty(self):
        """Whether JupyterLab holds changes not saved to the file."""
        return self._js("w => w.context.model.dirty")

    def busy(self):
        return self._js("""w => {
          const run = (window.courseRuns || {})[w.context.path];
          if (run === 'running') return true;
          const k = w.sessionContext.session && w.sessionContext.session.kernel;
          if (!k || k.status !== 'idle') return true;
          return w.content.widgets.some(c => c.model.type === 'code'
                                             && c.model.executionState === 'running');
        }""")

    def wait_idle(self, timeout=600_000, settle=0.3):
        """Until the kernel is idle, no cell is waiting to run, and that stays so a moment."""
        if self.lab.app != "lab":
            return
        deadline = time.monotonic() + timeout / 1000
        quiet_since = None
        while time.monotonic() < deadline:
            if self.busy():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= settle:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name}: the kernel was still busy after {timeout / 1000:.0f} s")

    def run_all(self, wait=True):
        """Run All on this notebook; ``wait=False`` returns while the cells run (see busy)."""
        self.show()
        # The command's promise settles when the last cell has run: note that in the page.
        self.page.evaluate("""p => { window.courseRuns = window.courseRuns || {};
          window.courseRuns[p] = 'running';
          window.jupyterapp.commands.execute('notebook:run-all-cells').then(
            () => { window.courseRuns[p] = 'done'; },
            e => { window.courseRuns[p] = 'failed: ' + e; });
          return true; }""", self.path)
        if wait:
            self.wait_idle()

    def cell_errors(self):
        """'cell N: Error: message' for every cell whose output is an error."""
        return self._js("""w => w.content.widgets.flatMap((c, i) => {
          if (c.model.type !== 'code') return [];
          const errors = [];
          for (let k = 0; k < c.model.outputs.length; k++) {
            const o = c.model.outputs.get(k).toJSON();
            if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
          }
          return errors; })""")

    def explorers(self):
        return self.root.evaluate(_EXPLORERS_JS)

    def explorer(self, index):
        return self.root.locator(".course-explorer").nth(index)

    def view(self, index):
        return self.explorer(index).locator(".jupyter-matplotlib-canvas-div, img").first

    def widget_errors(self):
        text = self.root.inner_text()
        return [error for error in WIDGET_ERRORS if error in text]

    def pixels(self, index):
        """The explorer's picture as an RGB array (what the screen shows)."""
        view = self.view(index)
        view.scroll_into_view_if_needed()
        return np.asarray(Image.open(io.BytesIO(view.screenshot())).convert("RGB"))

    def wait_pixels(self, index, ok, what, timeout=60.0):
        deadline = time.monotonic() + timeout
        while True:
            now = self.pixels(index)
            if ok(now):
                return now
            if time.monotonic() > deadline:
                raise AssertionError(f"explorer {index} of {self.name}: {what} within "
                                     f"{timeout:.0f} s")
            time.sleep(0.05)

    def wait_new_pixels(self, index, before, timeout=60.0):
        return self.wait_pixels(index, lambda now: now.shape != before.shape
                                or bool(np.any(now != before)), "no new pixels", timeout)

    # -- controls -----------------------------------------------------------------------------

    def control(self, index, slider):
        """A control's row on the page: ``slider`` is its key ("lr", "adam.lr") or its number."""
        explorer = self.explorer(index)
        if isinstance(slider, str):
            return explorer.locator(f".{control_class(slider)}").first
        return explorer.locator(".widget-slider, .widget-hslider").nth(slider)

    def slider_handle(self, index, slider):
        return self.control(index, slider).locator(".noUi-handle").first

    def press(self, index, slider, key="ArrowRight"):
        handle = self.slider_handle(index, slider)
        handle.focus()
        handle.press(key)

    def drag(self, index, slider, dx=-40):
        handle = self.slider_handle(index, slider)
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        mouse = self.page.mouse
        mouse.move(x, y)
        mouse.down()
        mouse.move(x + dx, y, steps=8)
        mouse.up()

    def click(self, index, fx, fy):
        """A left click on explorer ``index``'s picture at figure fractions (fx, fy) from the
        bottom left, as matplotlib counts."""
        view = self.view(index)
        view.scroll_into_view_if_needed()
        box = view.bounding_box()
        self.page.mouse.click(box["x"] + fx * box["width"], box["y"] + (1 - fy) * box["height"])

    def _typed_box(self, index, slider):
        if isinstance(slider, str):
            return self.control(index, slider).locator(".course-typed-value input").first
        return self.explorer(index).locator(".course-typed-value input").nth(slider)

    def type_value(self, index, slider, text):
        box = self._typed_box(index, slider)
        box.fill(text)
        box.press("Enter")

    def readout(self, index, slider):
        """The value a slider's box shows, as text."""
        return self._typed_box(index, slider).input_value()

    def screenshot(self, label):
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{pathlib.Path(self.name).stem}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # -- the kernel's side ---------------------------------------------------------------------

    def ask_kernel(self, expression, setup=None):
        """The value of a Python expression in this notebook's kernel (a literal), quietly.

        ``setup``: code run first (silently: no output, no history, no execution count).
        """
        if self._kernel is None:
            self._kernel = self.lab.kernel_client(self.name)
        reply = self._kernel.execute_interactive(
            setup or "", silent=True, store_history=False, user_expressions={"x": expression},
            timeout=60, output_hook=lambda msg: None)
        result = reply["content"]["user_expressions"]["x"]
        if result["status"] != "ok":
            raise AssertionError(f"{self.name}: kernel query failed: {result}")
        return ast.literal_eval(result["data"]["text/plain"])

    def kernel_state(self):
        """Per explorer in this kernel (creation order): control values, ranges, title texts.

        Nested controls (``sliders[optimizer][hp]``) are named ``optimizer.hp``.
        """
        return self.ask_kernel("_course_probe()", setup=_PROBE)

    def close(self):
        """Close the notebook and stop its kernel, freeing the machine for others."""
        if self._kernel is not None:
            self._kernel.stop_channels()
            self._kernel = None
        if self.lab.app == "lab":
            self._js("w => w && w.dispose()")
            for session in self.lab.api("/api/sessions"):
                if session["path"].endswith(self.name):
                    self.lab.api(f"/api/sessions/{session['id']}", method="DELETE")


def non_blank(pixels):
    """True when a picture has content: many pixels away from its most common colour."""
    flat = pixels.reshape(-1, pixels.shape[-1]).astype(int)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    background = colours[np.argmax(counts)]
    other = np.any(np.abs(flat - background) > 16, axis=1).mean()
    return other > 0.02 and len(colours) > 20
