"""Costs to reach a minimum: steps and evaluations counted, the table printed."""

import numpy as np

from course_utils.convergence import cost_to_reach, format_costs, seconds_to_reach


def test_newton_on_the_ravine_costs_one_step_one_gradient_one_hessian():
    cost = cost_to_reach("newton", 10)
    assert cost["reached"] == 1 and cost["steps"] == 1
    assert cost["evaluations"] == {"fun": 0, "grad": 1, "hess": 1}
    assert cost["label"] == "Newton" and cost["path"].shape == (11, 2)


def test_a_first_order_run_costs_one_gradient_per_step():
    cost = cost_to_reach("sgd", 500, tol=1e-6, lr=0.42)
    assert cost["reached"] is not None
    assert cost["evaluations"] == {"fun": 0, "grad": cost["reached"], "hess": 0}
    never = cost_to_reach("sgd", 20, surface="rosenbrock", lr=1e-3)
    assert never["reached"] is None and never["steps"] == 20
    assert never["evaluations"]["grad"] == 20


def test_bfgs_costs_match_its_state():
    cost = cost_to_reach("bfgs", 100, surface="rosenbrock", tol=1e-6)
    assert cost["reached"] is not None and cost["evaluations"]["fun"] > cost["reached"]
    assert np.isclose(cost["distance"], 0.0, atol=1e-6)


def test_the_table_lists_every_run():
    costs = [cost_to_reach("newton", 5), cost_to_reach("sgd", 5, lr=0.1, label="GD")]
    table = format_costs(costs)
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["method", "settings"] and len(lines) == 4
    assert "not in 5" in lines[3] and lines[3].startswith("GD")
    timed = format_costs(costs, seconds=[seconds_to_reach(c, repeats=1) for c in costs])
    assert "time [ms]" in timed.splitlines()[0]
