"""Plain-text tables for notebook outputs: one call instead of a block of f-strings.

``text_table(rows, header, formats)`` lines up the columns, right-aligns numbers and
left-aligns text, so a notebook cell that prints a table stays a short call::

    print(text_table([("SGD", 71, 0.0622)], ["optimizer", "steps", "distance"],
                     formats=[None, "d", ".3g"]))
"""

import numbers

__all__ = ["text_table"]


def _cell(value, fmt):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if fmt is not None:
        return format(value, fmt)
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        return format(value, ".4g")
    return str(value)


def text_table(rows, header, formats=None):
    """The rows as a text table under ``header``, with a line of dashes below the header.

    ``rows``: sequences of cells, as many as ``header`` has names. A cell is text (left-aligned),
    a number (right-aligned; ``formats[i]`` is its format spec, e.g. ``".3g"``, default ``.4g``
    for floats) or None (shown as "-"). Returns the table as one string.
    """
    header = [str(name) for name in header]
    formats = list(formats) if formats is not None else [None] * len(header)
    if len(formats) != len(header):
        raise ValueError(f"formats has {len(formats)} entries, header has {len(header)} names")
    body = []
    for number, row in enumerate(rows):
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"row {number} has {len(row)} cells, header has {len(header)} names")
        body.append([(_cell(value, fmt), not isinstance(value, str))
                     for value, fmt in zip(row, formats, strict=True)])
    widths = [max([len(name)] + [len(row[i][0]) for row in body]) for i, name in enumerate(header)]
    numeric = [any(row[i][1] and row[i][0] != "-" for row in body) for i in range(len(header))]

    def line(cells):
        return "  ".join(cell.rjust(w) if right else cell.ljust(w)
                         for cell, w, right in zip(cells, widths, numeric, strict=True)).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths)]
    lines += [line([cell for cell, _ in row]) for row in body]
    return "\n".join(lines)
