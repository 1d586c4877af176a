"""Show the library's own code in a notebook, so the lesson and the code never drift apart."""

import inspect

from IPython.display import Code


def show_source(obj):
    """Syntax-highlighted source of a function or class from course_utils."""
    return Code(inspect.getsource(obj), language="python")
