"""Where explorers draw a live canvas, where they send pictures, and the line that says so."""

import pytest

from course_utils import frontends
from course_utils.frontends import choose_backend, front_end, shows_widgets


@pytest.mark.parametrize(
    "environ, modules, user_ns, expected",
    [
        ({"JPY_SESSION_NAME": "notebooks/05.ipynb"}, {}, {}, "jupyter"),
        ({"SERVER_SOFTWARE": "voila/0.5.13"}, {}, {}, "voila"),
        ({"COLAB_RELEASE_TAG": "release-colab"}, {}, {}, "colab"),
        ({}, {"google.colab": object()}, {}, "colab"),
        ({"VSCODE_PID": "4242"}, {}, {}, "vscode"),
        ({"JPY_SESSION_NAME": "x.ipynb"}, {}, {"__vsc_ipynb_file__": "/x.ipynb"}, "vscode"),
        # JupyterLab started from a VS Code terminal is still JupyterLab.
        ({"VSCODE_PID": "4242", "JPY_SESSION_NAME": "x.ipynb"}, {}, {}, "jupyter"),
        ({}, {}, {}, "batch"),  # a kernel nobody's front end started: nbconvert, nbclient
    ],
)
def test_front_end_from_the_kernels_facts(environ, modules, user_ns, expected):
    assert front_end(environ, modules, user_ns, in_kernel=True) == expected


def test_outside_a_kernel():
    assert front_end({"JPY_SESSION_NAME": "x"}, {}, {}, in_kernel=False) == "none"
    assert front_end() == "none"  # this test process
    assert not shows_widgets()


@pytest.mark.parametrize("where, backend", [("jupyter", "ipympl"), ("voila", "ipympl"),
                                            ("colab", "image"), ("vscode", "image"),
                                            ("batch", "image"), ("none", "image")])
def test_automatic_choice(where, backend, monkeypatch):
    monkeypatch.delenv("COURSE_EXPLORER", raising=False)
    assert choose_backend(None, where=where, note=False) == backend
    assert choose_backend("auto", where=where, note=False) == backend
    assert shows_widgets(where) == (where not in ("batch", "none"))


def test_environment_variable_and_explicit_choice_win(monkeypatch):
    monkeypatch.setenv("COURSE_EXPLORER", "image")
    assert choose_backend(None, where="jupyter") == "image"
    assert choose_backend("ipympl", where="colab") == "ipympl"
    monkeypatch.setenv("COURSE_EXPLORER", "qt")
    with pytest.raises(ValueError, match="backend must be 'auto', 'ipympl' or 'image', got 'qt'"):
        choose_backend(None)


def test_one_line_once_per_kernel_where_pictures_replace_the_canvas(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_EXPLORER", raising=False)
    monkeypatch.setattr(frontends, "_noted", set())
    for _ in range(3):
        choose_backend(None, where="colab")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Google Colab" in out
    choose_backend(None, where="jupyter")
    choose_backend(None, where="none")  # plain Python: nobody to tell
    assert capsys.readouterr().out == ""
    choose_backend(None, where="batch")
    assert "run the notebook in JupyterLab" in capsys.readouterr().out
