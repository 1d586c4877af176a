"""print_table: aligned columns, the formats asked for, and clear errors."""

import numpy as np
import pytest

from course_utils.tables import format_cell, format_table, print_table


def test_numbers_right_text_left_and_a_rule_under_the_header():
    text = format_table([("sgd", 0.42, 71), ("momentum", 0.02, 117)], ["optimizer", "lr", "steps"])
    lines = text.splitlines()
    assert lines[0] == "optimizer    lr  steps"
    assert lines[1] == "---------  ----  -----"
    assert lines[2] == "sgd        0.42     71"
    assert lines[3] == "momentum   0.02    117"


def test_formats_per_column_and_special_values():
    text = format_table([(1 / 3, np.float64(2.0) ** 40, None)], ["a", "b", "c"],
                        formats={"a": ".2f", "b": lambda v: f"{v:.1e}"})
    assert text.splitlines()[2].split() == ["0.33", "1.1e+12", "-"]
    assert format_cell(np.nan) == "nan"
    assert format_cell(True) == "True"
    assert format_cell(np.int64(7)) == "7"
    assert format_cell((np.float64(-5.0), -2)) == "(-5, -2)"
    assert format_cell(np.array(1.0)) == "1"  # a 0-d array is a number
    assert format_cell(np.array([[0.125, 1e-9]]), ".2g") == "(0.12, 1e-09)"


def test_complex_numbers_as_a_plus_bi():
    assert format_cell(complex(-0.51, 0.4), ".3f") == "-0.510+0.400i"
    assert format_cell(complex(0.9, -0.3), ".2f") == "0.90-0.30i"
    assert format_cell(complex(0.684, 0.0), ".3f") == "0.684"


def test_print_table_prints_the_text(capsys):
    print_table([(1, 2)], ["x", "y"])
    assert capsys.readouterr().out == format_table([(1, 2)], ["x", "y"]) + "\n"


def test_bad_tables_are_named():
    with pytest.raises(ValueError, match="row 1 has 1 values, the table has 2 columns"):
        format_table([(1, 2), (3,)], ["x", "y"])
    with pytest.raises(ValueError, match="formats names no column 'z'"):
        format_table([(1, 2)], ["x", "y"], formats={"z": ".2f"})
    with pytest.raises(ValueError, match="columns is empty"):
        format_table([], [])
    with pytest.raises(TypeError, match="rows must be a sequence of rows"):
        format_table(5, ["x"])


def test_formats_as_a_list_in_column_order_and_whole_numbers_as_they_are():
    table = format_table([("SGD", 71, 0.06219), ("Momentum*", None, np.float64(1.2e-102)),
                          ("Adam", "never", 12345)],
                         ["optimizer", "steps", "distance"], formats=[None, None, ".3g"])
    assert table.splitlines() == [
        "optimizer  steps  distance",
        "---------  -----  --------",
        "SGD           71    0.0622",
        "Momentum*      -  1.2e-102",
        "Adam       never  1.23e+04",
    ]
    assert format_table([(np.int64(3), 2.0 / 3.0, "x")], ["n", "ratio", "note"]).splitlines()[
        2] == "3  0.6667  x"
    with pytest.raises(ValueError, match="formats has 1 entries, the table has 2 columns"):
        format_table([(1, 2)], ["a", "b"], formats=[".3g"])


def test_formats_in_column_order_apply_to_repeated_header_names():
    table = format_table([(1, 0.5, 2, 0.25)], ["a", "x", "b", "x"],
                         formats=[None, ".1f", None, ".3f"])
    assert table.splitlines()[2] == "1  0.5  2  0.250"
