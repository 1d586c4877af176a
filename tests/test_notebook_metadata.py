"""Notebook metadata that JupyterLab keeps as it is when a notebook opens.

JupyterLab rewrites a kernelspec that differs from the running kernel's (e.g. the display name
"Python 3" becomes "Python 3 (ipykernel)") and marks the notebook modified at once; with autosave
on, that saves over the committed outputs. The browser test checks the same in JupyterLab.
"""

import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# What JupyterLab 4 writes for the ipykernel of this environment.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernelspec_is_what_jupyterlab_writes(path):
    metadata = json.loads(path.read_text())["metadata"]
    assert metadata.get("kernelspec") == KERNELSPEC
    assert metadata["language_info"]["name"] == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_saved_widget_state_and_no_huge_notebook(path):
    # Explorers save a picture in their output; the widgets' saved state (half a megabyte per
    # notebook) would show nothing more on GitHub and only make the repository heavier.
    metadata = json.loads(path.read_text())["metadata"]
    assert "widgets" not in metadata, "re-execute with `make notebooks` (no widget state)"
    assert path.stat().st_size < 3_000_000, f"{path.name} is {path.stat().st_size:,} bytes"
