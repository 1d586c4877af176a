"""Numbers as an aligned text table, so a notebook prints its results instead of re-reading them.

``print_table(rows, columns)`` prints one line per row under a header; a column with numbers is
right-aligned, one of text left-aligned; whole numbers are shown as they are and other numbers
with 4 significant digits unless ``formats`` says otherwise (a format spec such as ``".2f"`` or
a function of the value, per column: a dict column → format, or a list in column order with None
for the default), complex numbers as ``a±bi``, points as ``(x, y)``, None as "-".
``format_table`` returns the same text instead of printing it.
"""

import numbers

import numpy as np

from . import checks

__all__ = ["format_table", "print_table", "format_cell"]

DEFAULT_FORMAT = ".4g"
GAP = "  "


def format_cell(value, spec=None):
    """One table cell: text as it is, numbers with ``spec``, complex as ``a±bi``, None as '-'.

    ``spec=None``: whole numbers as they are, others with 4 significant digits. A tuple, list or
    array (a point, a short vector) becomes ``(x, y, ...)``.
    """
    if spec is None:
        is_whole = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
        spec = "d" if is_whole else DEFAULT_FORMAT
    if callable(spec):
        return str(spec(value))
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if value is None:
        return "-"
    if isinstance(value, (str, bool, np.bool_)):
        return str(value)
    if isinstance(value, (tuple, list, np.ndarray)):  # a point or a short vector
        return "(" + ", ".join(format_cell(v, spec) for v in np.ravel(value)) + ")"
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        if abs(value.imag) <= 1e-12 * max(1.0, abs(value.real)):
            return format(value.real, spec)
        sign = "+" if value.imag >= 0 else "-"
        return f"{value.real:{spec}}{sign}{abs(value.imag):{spec}}i"
    if isinstance(value, numbers.Number):
        return format(value, spec)
    return str(value)


def format_table(rows, columns, formats=None):
    """The table as text: a header line, a rule, one line per row.

    ``rows``: a sequence of rows, each a sequence with one value per column; ``columns``: the
    header names; ``formats``: for the columns that should not use the default, a dict column
    name → format spec or function, or a list with one entry per column (None: the default).
    """
    columns = [str(c) for c in columns]
    if not columns:
        raise ValueError("columns is empty: give the header names of the table")
    if isinstance(formats, (list, tuple)):  # in column order (header names may repeat)
        if len(formats) != len(columns):
            raise ValueError(f"formats has {len(formats)} entries, the table has {len(columns)} "
                             f"columns ({', '.join(columns)})")
        specs = list(formats)
    else:
        formats = dict(formats or {})
        unknown = sorted(set(formats) - set(columns))
        if unknown:
            raise ValueError(f"formats names no column {', '.join(map(repr, unknown))}; "
                             f"the columns are: {', '.join(map(repr, columns))}")
        specs = [formats.get(name) for name in columns]
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a sequence of rows, got {checks.describe(rows)}")
    cells, right = [], [False] * len(columns)
    for index, row in enumerate(rows):
        row = list(row)
        if len(row) != len(columns):
            raise ValueError(f"row {index} has {len(row)} values, the table has "
                             f"{len(columns)} columns ({', '.join(columns)})")
        line = []
        for k, value in enumerate(row):
            line.append(format_cell(value, specs[k]))
            if value is not None and not isinstance(value, str):
                right[k] = True  # a column with numbers lines up on the right
        cells.append(line)
    widths = [max([len(name)] + [len(line[k]) for line in cells])
              for k, name in enumerate(columns)]

    def join(values):
        return GAP.join(v.rjust(w) if r else v.ljust(w)
                        for v, w, r in zip(values, widths, right, strict=True)).rstrip()

    rule = GAP.join("-" * w for w in widths)
    return "\n".join([join(columns), rule] + [join(line) for line in cells])


def print_table(rows, columns, formats=None):
    """Print :func:`format_table`."""
    print(format_table(rows, columns, formats))
