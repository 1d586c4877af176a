"""text_table lines up notebook tables."""

import numpy as np
import pytest

from course_utils.texttable import text_table


def test_columns_line_up_numbers_right_text_left():
    table = text_table([("SGD", 71, 0.06219), ("Momentum*", None, np.float64(1.2e-102))],
                       ["optimizer", "steps", "distance"], formats=[None, "d", ".3g"])
    lines = table.splitlines()
    assert lines[0] == "optimizer  steps  distance"
    assert lines[1] == "---------  -----  --------"
    assert lines[2] == "SGD           71    0.0622"
    assert lines[3] == "Momentum*      -  1.2e-102"


def test_default_formats_and_numpy_integers():
    table = text_table([(np.int64(3), 2.0 / 3.0, "x")], ["n", "ratio", "note"])
    assert table.splitlines()[2] == "3  0.6667  x"


def test_bad_shapes_name_what_is_wrong():
    with pytest.raises(ValueError, match="row 1 has 1 cells, header has 2 names"):
        text_table([(1, 2), (3,)], ["a", "b"])
    with pytest.raises(ValueError, match="formats has 1 entries, header has 2 names"):
        text_table([(1, 2)], ["a", "b"], formats=[".3g"])
