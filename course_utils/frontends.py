"""Which front end shows this kernel's output, and so how an explorer draws its figure.

An explorer's live canvas (ipympl) needs a front end that loads ipympl's JavaScript: JupyterLab,
Jupyter Notebook 7, JupyterHub and Binder (all served by jupyter_server), and Voilà. Elsewhere
the explorer sends PNG pictures into an image widget, which every widget front end shows:

=====================  ==========================================  ==========
front end              how it is recognised                        explorer
=====================  ==========================================  ==========
no kernel              plain Python, a test                        image
Google Colab           ``google.colab`` imported, or COLAB_* env   image
VS Code                ``__vsc_ipynb_file__`` or ``VSCODE_PID``    image
Voilà                  ``SERVER_SOFTWARE=voila/...``               ipympl
jupyter_server         ``JPY_SESSION_NAME`` (set for its kernels)  ipympl
anything else          e.g. ``jupyter nbconvert --execute``        image
=====================  ==========================================  ==========

"Anything else" is a batch run (nbconvert, nbclient, papermill, nbval): nobody watches, so an
explorer's output there is only its picture. ``COURSE_EXPLORER=ipympl`` or ``=image`` overrides
the choice everywhere.
"""

import importlib.util
import os
import sys

BACKENDS = ("ipympl", "image")
# Front ends where an explorer's live canvas works.
CANVAS_FRONT_ENDS = ("jupyter", "voila")
# Front ends whose output a person watches while the kernel runs.
WATCHED_FRONT_ENDS = ("jupyter", "voila", "colab", "vscode")
# The one line printed where the automatic choice falls back to pictures.
_NOTES = {
    "colab": "Explorers show pictures in Google Colab (no live canvas there): each slider change "
             "redraws the picture. COURSE_EXPLORER=ipympl tries the canvas.",
    "vscode": "Explorers show pictures in VS Code (its live canvas needs extra set-up): each "
              "slider change redraws the picture. COURSE_EXPLORER=ipympl tries the canvas.",
    "batch": "Explorers below are pictures saved by a batch run: run the notebook in JupyterLab "
             "to move their sliders.",
}
_noted = set()


def _shell():
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def front_end(environ=None, modules=None, user_ns=None, in_kernel=None):
    """'none', 'colab', 'vscode', 'voila', 'jupyter' or 'batch' (see the module's table).

    The arguments default to this process's facts (``os.environ``, ``sys.modules``, the
    IPython kernel's namespace); tests pass their own.
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if in_kernel is None:
        shell = _shell()
        in_kernel = shell is not None
        if user_ns is None and shell is not None:
            user_ns = shell.user_ns
    user_ns = user_ns or {}
    if not in_kernel:
        return "none"
    if "google.colab" in modules or any(key.startswith("COLAB_") for key in environ):
        return "colab"
    if "__vsc_ipynb_file__" in user_ns or (
            "VSCODE_PID" in environ and "JPY_SESSION_NAME" not in environ):
        return "vscode"
    if environ.get("SERVER_SOFTWARE", "").startswith("voila"):
        return "voila"
    if "JPY_SESSION_NAME" in environ:
        return "jupyter"
    return "batch"


def shows_widgets(where=None):
    """Whether someone's front end shows widgets here (False outside a kernel and in batch runs)."""
    return (where or front_end()) in WATCHED_FRONT_ENDS


def choose_backend(backend=None, where=None, note=True):
    """'ipympl' or 'image' for a requested backend (None / 'auto': by the front end).

    ``COURSE_EXPLORER`` in the environment takes the place of None. When the automatic choice
    falls back to pictures in a kernel, one line says so (once per kernel).
    """
    backend = backend or os.environ.get("COURSE_EXPLORER", "auto")
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"backend must be 'auto', 'ipympl' or 'image', got {backend!r}")
    if backend != "auto":
        return backend
    where = where or front_end()
    if where in CANVAS_FRONT_ENDS and importlib.util.find_spec("ipympl") is not None:
        return "ipympl"
    if note and where in _NOTES and where not in _noted:
        _noted.add(where)
        print(_NOTES[where])
    return "image"


__all__ = ["front_end", "shows_widgets", "choose_backend", "BACKENDS"]
