"""Every explorer as a student meets it: JupyterLab 4 in headless Chromium, Run All, then keys,
a mouse drag and a typed value, on both backends; the saved picture before a run; Voilà.

One JupyterLab server (on a scratch copy of the notebooks) and one Chromium serve every test.
A failure keeps a screenshot in ``browser-artifacts/`` and names it in its message. Chromium
missing is a failure, never a skip: ``make test`` installs it.
"""

import json
import pathlib
import re
import shutil
import time

import numpy as np
import pytest
from harness import (
    ARTIFACTS,
    NOTEBOOKS,
    SET_UP,
    Lab,
    LabPage,
    NotebookPage,
    chromium,
    chromium_problem,
    explorer_cells,
    non_blank,
    notebooks_with_explorers,
    small_notebook,
)

from course_utils.plotting import format_value

WITH_EXPLORERS = notebooks_with_explorers()
# The explorer cells of the 2-D and the initialization notebooks, as they are written there.
SAMPLE = ("05_gradient_descent_2d.ipynb", "11_initialization.ipynb")


def _sample_cells():
    cells = []
    for name in SAMPLE:
        notebook = json.loads((NOTEBOOKS / name).read_text())
        cells += ["".join(notebook["cells"][i]["source"]) for i in explorer_cells(notebook)]
    return cells


def _batch_executed(cells):
    """A notebook run by nbclient, as `jupyter nbconvert --execute` saves it."""
    import nbclient
    import nbformat

    notebook = nbformat.from_dict(small_notebook([SET_UP, *cells]))
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    return json.loads(nbformat.writes(notebook))


@pytest.fixture(scope="module")
def lab():
    problem = chromium_problem()
    if problem:
        pytest.fail(f"the browser tests cannot run: {problem}")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    cells = _sample_cells()
    extra = {
        "image_backend.ipynb": small_notebook(
            ["import os\nos.environ['COURSE_EXPLORER'] = 'image'", SET_UP, *cells]),
        "batch_executed.ipynb": _batch_executed(cells),
    }
    with Lab(extra=extra) as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    try:
        with chromium() as context:
            yield context
    except Exception as error:  # Chromium would not start: say why, loudly
        pytest.fail(f"Chromium did not start: {error}")


@pytest.fixture(scope="module")
def tab(lab, browser):
    """The one JupyterLab tab every notebook opens in."""
    page = LabPage(lab, browser)
    yield page
    page.close()


@pytest.fixture(scope="module")
def running(lab, tab):
    """Every notebook with explorers open and running all its cells at once.

    Kernels overlap, which is most of the time; each test then waits for its notebook to
    finish. Whether the notebook looked modified as it opened is noted first.
    """
    names = [path.name for path in WITH_EXPLORERS] + ["image_backend.ipynb"]
    pages = {name: NotebookPage(tab, name, wait=False) for name in names}
    for nb in pages.values():
        nb.wait_open()
        nb.modified_on_open = nb.dirty()
        nb.run_all(wait=False)
    yield pages
    for nb in pages.values():
        nb.close()
    lab.shutdown_kernels()


class Failure(AssertionError):
    pass


def _check(condition, nb, message):
    if not condition:
        shot = nb.screenshot(f"failure-{int(time.time() * 1000) % 100000}")
        raise Failure(f"{nb.name}: {message} (screenshot: {shot.relative_to(ARTIFACTS.parent)})")


def _title_shows(title, name, readout, value):
    """The course's titles say ``name=readout``; a notebook's own may write the number its way."""
    name = name.rsplit(".", 1)[-1]  # a race's "adam.lr" is titled "lr=..."
    if "=" not in title:
        return True  # a title that shows no settings (the race's): the box is the readout
    if f"{name}=" in title:
        return f"{name}={readout}" in title
    numbers = re.findall(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?", title)
    return any(abs(float(number) - value) <= 1e-6 + 5e-3 * abs(value) for number in numbers)


def _check_agreement(nb, index, name, how):
    """After a change: the box, the kernel's value and the figure's title say the same."""
    nb.wait_idle()
    state = nb.kernel_state()[index]
    readout = nb.readout(index, name)
    value = state["values"][name]
    title = " | ".join(state["titles"])
    _check(readout == format_value(value), nb, f"explorer {index}, {name} by {how}: the box "
           f"shows {readout!r}, the kernel has {value!r}")
    _check(_title_shows(title, name, readout, value), nb,
           f"explorer {index}, {name} by {how}: the title {title!r} does not show {readout!r}")


def _new_pixels(nb, index, before, name, how):
    try:
        return nb.wait_new_pixels(index, before)
    except AssertionError as error:
        _check(False, nb, f"{name} by {how}: {error}")


def _check_click(nb, index, before):
    """A click on the axes that takes clicks (the race's contour, the momentum map) changes
    what the kernel holds (the start, or the sliders' values) and the picture."""
    state = nb.kernel_state()[index]
    x0, y0, x1, y1 = state["click"]
    nb.click(index, x0 + 0.3 * (x1 - x0), y0 + 0.7 * (y1 - y0))
    before = _new_pixels(nb, index, before, "the canvas", "mouse click")
    nb.wait_idle()
    after = nb.kernel_state()[index]
    _check((after["start"], after["values"]) != (state["start"], state["values"]), nb,
           f"explorer {index}: a click on its axes changed nothing in the kernel "
           f"(start {after['start']}, values {after['values']})")
    return before


def _check_explorers(nb, backend):
    _check(not nb.cell_errors(), nb, f"Run All stopped at an error: {nb.cell_errors()}")
    page_explorers = nb.explorers()
    kernel = nb.kernel_state()
    _check(page_explorers, nb, "no explorer on the page after Run All")
    _check(len(page_explorers) == len(kernel), nb,
           f"{len(page_explorers)} explorers on the page, {len(kernel)} in the kernel")
    _check(not nb.widget_errors(), nb, f"widget errors on the page: {nb.widget_errors()}")
    for index, shown in enumerate(page_explorers):
        view = shown["view"]
        _check(view is not None, nb, f"explorer {index} has no canvas or image")
        _check(view["tag"] == ("CANVAS" if backend == "ipympl" else "IMG"), nb,
               f"explorer {index} is drawn by {view['tag']}, expected the {backend} backend")
        try:
            before = nb.wait_pixels(index, non_blank, "only blank pixels")
        except AssertionError as error:
            _check(False, nb, str(error))
        shown = nb.explorers()[index]  # sizes once the picture is there
        view, area = shown["view"], shown["area"]
        _check(shown["explorer"]["right"] <= area["right"] + 0.5
               and shown["scrollWidth"] <= shown["clientWidth"] + 1
               and view["right"] <= area["right"] + 0.5, nb,
               f"explorer {index} is wider than its output area ({shown['explorer']['width']:.0f}"
               f" / {view['width']:.0f} px in {area['width']:.0f} px)")
        _check(abs(view["width"] - view["natural"]) <= 1, nb,
               f"explorer {index}'s picture is squeezed: {view['width']:.0f} px shown of "
               f"{view['natural']:.0f}")
        _check(not shown["toolbarVisible"], nb, f"explorer {index} shows a toolbar over its axes")
        limits = kernel[index]["limits"]
        first = True
        for name, (low, high) in limits.items():
            if not nb.control(index, name).is_visible():
                continue  # on a tab not shown (the race's other optimizers): the same code
            log = name in kernel[index]["log"]  # a log slider's min and max are powers of ten

            def position(name=name, log=log, index=index):
                state = nb.kernel_state()[index]
                if name in state["index"]:
                    return state["index"][name]
                return np.log10(state["values"][name]) if log else state["values"][name]

            if name in kernel[index]["index"]:  # options, no typed box: the kernel follows
                was = position()
                nb.press(index, name, "ArrowLeft" if was >= high else "ArrowRight")
                before = _new_pixels(nb, index, before, name, "keyboard")
                nb.wait_idle()
                _check(abs(position() - was) == 1, nb, f"explorer {index}, {name} by keyboard: "
                       f"option {position()} after option {was}")
                continue
            nb.press(index, name, "ArrowLeft" if position() >= high else "ArrowRight")
            before = _new_pixels(nb, index, before, name, "keyboard")
            _check_agreement(nb, index, name, "keyboard")
            if first:  # a drag and a typed value on the first slider of each explorer
                first = False
                nb.drag(index, name, -40 if position() > (low + high) / 2 else 40)
                before = _new_pixels(nb, index, before, name, "mouse drag")
                _check_agreement(nb, index, name, "mouse drag")
                target = low + 0.3 * (high - low)
                nb.type_value(index, name, format_value(10**target if log else target))
                before = _new_pixels(nb, index, before, name, "typed value")
                _check_agreement(nb, index, name, "typed value")
        if backend == "ipympl" and kernel[index]["click"]:
            before = _check_click(nb, index, before)
        _check(non_blank(before), nb, f"explorer {index}'s picture is blank after the changes")
    _check(not nb.widget_errors(), nb, f"widget errors on the page: {nb.widget_errors()}")
    errors = list(nb.console_errors)
    nb.console_errors.clear()  # the tab is shared: the next notebook starts with none
    _check(not errors, nb, f"console errors: {errors[:6]}")


def _check_notebook(running, name, backend="ipympl"):
    nb = running[name].show()
    try:
        _check(not nb.modified_on_open, nb,
               "JupyterLab marked the notebook modified as it opened (kernel metadata)")
        nb.wait_idle()
        _check_explorers(nb, backend)
    finally:
        nb.close()


def test_the_notebooks_with_explorers_are_found():
    names = [path.name for path in WITH_EXPLORERS]
    # Library explorers and one built in the notebook from Explorer itself (02).
    assert {"02_random_networks.ipynb", "05_gradient_descent_2d.ipynb",
            "11_initialization.ipynb"} <= set(names)
    assert "12_batchnorm.ipynb" not in names


@pytest.mark.parametrize("path", WITH_EXPLORERS, ids=lambda path: path.stem)
def test_explorers_draw_and_follow_their_sliders(running, path):
    _check_notebook(running, path.name)


def test_image_backend(running):
    _check_notebook(running, "image_backend.ipynb", backend="image")


def test_the_saved_picture_shows_before_the_notebook_runs(tab):
    import io

    import numpy as np
    from PIL import Image

    nb = NotebookPage(tab, "batch_executed.ipynb").show()
    try:
        nb.wait_idle()
        pictures = nb.root.locator(".jp-OutputArea-output img")
        expected = len(_sample_cells())
        _check(pictures.count() == expected, nb,
               f"{pictures.count()} pictures before running, expected {expected}")
        for i in range(expected):
            pictures.nth(i).scroll_into_view_if_needed()
            pixels = np.asarray(Image.open(io.BytesIO(pictures.nth(i).screenshot())))
            _check(non_blank(pixels[..., :3]), nb, f"saved picture {i} is blank")
        _check(not nb.widget_errors(), nb, f"widget errors before running: {nb.widget_errors()}")
        _check("pictures saved by a batch run" in nb.root.inner_text(), nb,
               "the batch run's one line is missing")
        nb.run_all()
        _check(len(nb.explorers()) == expected, nb, "after Run All the live explorers are missing")
        _check(not nb.widget_errors() and not nb.console_errors, nb,
               f"errors after Run All: {nb.widget_errors()} {nb.console_errors[:5]}")
    finally:
        nb.close()


def test_presentation_mode_shows_prose_and_live_explorers_without_code(browser):
    name = "05_gradient_descent_2d.ipynb"
    with Lab(app=name) as voila:
        page = LabPage(voila, browser)
        nb = NotebookPage(page, name)
        try:
            nb.page.wait_for_selector(".course-explorer .jupyter-matplotlib-canvas-div canvas",
                                      timeout=180_000)
            text = nb.root.inner_text()
            source = "".join(json.loads((NOTEBOOKS / name).read_text())["cells"][
                explorer_cells(NOTEBOOKS / name)[0]]["source"])
            _check(source.strip() not in text, nb, "the presentation shows code")
            _check("(try this)" in text, nb, "the presentation lost the notebook's prose")
            before = nb.wait_pixels(0, non_blank, "only blank pixels")
            nb.press(0, 0, "ArrowRight")
            nb.wait_new_pixels(0, before)
            # Voilà's page asks a CDN for its icon font; offline that fails, and nothing else may.
            offline = [e for e in nb.console_errors if "net::ERR_NAME_NOT_RESOLVED" in e
                       or "net::ERR_INTERNET_DISCONNECTED" in e]
            errors = [e for e in nb.console_errors if e not in offline]
            _check(len(offline) <= len(page.external_failures()), nb,
                   f"resources of this machine failed to load: {page.failed_requests}")
            _check(not nb.widget_errors() and not errors, nb,
                   f"errors in the presentation: {nb.widget_errors()} {errors[:5]}")
        finally:
            page.close()


def test_artifact_folder_is_ignored_by_git():
    ignored = (pathlib.Path(__file__).resolve().parents[2] / ".gitignore").read_text().split()
    assert f"{ARTIFACTS.name}/" in ignored
