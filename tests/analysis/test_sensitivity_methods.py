"""SALib wrappers (dmpsim.analysis.sensitivity) checked on the Ishigami function."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from SALib.test_functions import Ishigami

from dmpsim.analysis import sensitivity as sa

NAMES = ["x1", "x2", "x3"]


@pytest.fixture
def problem():
    return sa.make_problem(NAMES, [(-math.pi, math.pi)] * 3)


def _ishigami_analytic(a: float = 7.0, b: float = 0.1) -> tuple[dict, dict]:
    """First- and total-order indices of Ishigami (Saltelli et al. 2008, Global Sensitivity
    Analysis: The Primer)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = 8 * b**2 * math.pi**8 / 225
    v = v1 + v2 + v13
    s1 = {"x1": v1 / v, "x2": v2 / v, "x3": 0.0}
    st = {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v}
    return s1, st


def test_analytic_reference_values():
    # Guards the reference itself against a typo (values from the SALib docs and the Primer).
    s1, st = _ishigami_analytic()
    assert s1["x1"] == pytest.approx(0.3139, abs=1e-4)
    assert s1["x2"] == pytest.approx(0.4424, abs=1e-4)
    assert st["x3"] == pytest.approx(0.2437, abs=1e-4)


@pytest.mark.parametrize("seed", [0, 1])
def test_sobol_recovers_ishigami_indices(problem, seed):
    X = sa.sample(problem, "sobol", 1024, seed)
    assert X.shape == (1024 * (3 + 2), 3)
    tab = sa.analyze(problem, "sobol", X, Ishigami.evaluate(X), seed)
    assert list(tab.columns) == ["parameter", "index", "value", "conf"]
    assert list(zip(tab.parameter, tab["index"], strict=True)) == [
        (p, i) for i in ("S1", "ST") for p in NAMES
    ]
    val = tab.set_index(["index", "parameter"])["value"]
    assert val["ST", "x1"] > val["ST", "x2"] > val["ST", "x3"]
    s1, st = _ishigami_analytic()
    for p in NAMES:
        assert val["S1", p] == pytest.approx(s1[p], abs=0.06)
        assert val["ST", p] == pytest.approx(st[p], abs=0.06)
    assert (tab["conf"] > 0).all()


def test_sobol_second_order_rows(problem):
    X = sa.sample(problem, "sobol", 1024, 3, calc_second_order=True)
    assert X.shape == (1024 * (2 * 3 + 2), 3)
    tab = sa.analyze(problem, "sobol", X, Ishigami.evaluate(X), 3, calc_second_order=True)
    s2 = tab[tab["index"] == "S2"].set_index("parameter")["value"]
    assert list(s2.index) == ["x1:x2", "x1:x3", "x2:x3"]
    # The only interaction in Ishigami is x1 with x3 (S13 = ST1 - S1 = 0.2437).
    assert s2["x1:x3"] == pytest.approx(0.2437, abs=0.08)
    assert abs(s2["x1:x2"]) < 0.08 and abs(s2["x2:x3"]) < 0.08


@pytest.mark.parametrize("seed", [0, 1])
def test_morris_screens_x3_below_x1_and_x2(problem, seed):
    X = sa.sample(problem, "morris", 1000, seed)
    assert X.shape == (1000 * (3 + 1), 3)
    tab = sa.analyze(problem, "morris", X, Ishigami.evaluate(X), seed)
    mu_star = tab[tab["index"] == "mu_star"].set_index("parameter")["value"]
    # On the 4-level grid: mu*_1 ~ 7.7, mu*_2 = 7.875 exactly, mu*_3 ~ 6.25.
    assert min(mu_star["x1"], mu_star["x2"]) > mu_star["x3"]
    assert mu_star["x2"] == pytest.approx(7.875, rel=1e-6)
    assert set(tab["index"]) == {"mu_star", "mu", "sigma"}
    assert tab[tab["index"] != "mu_star"]["conf"].isna().all()


@pytest.mark.parametrize(("method", "block"), [("sobol", 5), ("morris", 4)])
def test_first_half_of_a_design_is_the_smaller_design(problem, method, block):
    # The property convergence() relies on: halving by blocks gives the design that half the
    # sample size with the same seed would have produced.
    full = sa.sample(problem, method, 64, seed=5)
    half = sa.sample(problem, method, 32, seed=5)
    assert full.shape[0] == 64 * block
    np.testing.assert_array_equal(full[: 32 * block], half)


@pytest.mark.parametrize(("method", "n"), [("sobol", 256), ("morris", 200)])
def test_convergence_side_by_side(problem, method, n):
    X = sa.sample(problem, method, n, seed=2)
    Y = Ishigami.evaluate(X)
    conv = sa.convergence(problem, method, X, Y, seed=2)
    assert list(conv.columns) == [
        "parameter",
        "index",
        "n_half",
        "value_half",
        "conf_half",
        "n_full",
        "value_full",
        "conf_full",
        "change",
    ]
    assert (conv.n_half == n // 2).all() and (conv.n_full == n).all()
    rows = X.shape[0] // 2
    half = sa.analyze(problem, method, X[:rows], Y[:rows], seed=2)
    full = sa.analyze(problem, method, X, Y, seed=2)
    np.testing.assert_allclose(conv.value_half, half.value)
    np.testing.assert_allclose(conv.value_full, full.value)
    np.testing.assert_allclose(conv.change, full.value - half.value)
    # More samples, tighter intervals (where SALib gives one).
    has_conf = conv.conf_full.notna() & (conv.conf_half > 0)
    assert (conv.conf_full[has_conf] < conv.conf_half[has_conf]).mean() >= 0.5


def test_seeds_make_results_reproducible_and_problem_is_not_mutated(problem):
    before = copy.deepcopy(problem)
    X = sa.sample(problem, "sobol", 64, seed=9)
    np.testing.assert_array_equal(X, sa.sample(problem, "sobol", 64, seed=9))
    assert not np.array_equal(X, sa.sample(problem, "sobol", 64, seed=10))
    Y = Ishigami.evaluate(X)
    a = sa.analyze(problem, "sobol", X, Y, seed=0)
    b = sa.analyze(problem, "sobol", X, Y, seed=0)
    assert a.equals(b)  # seed 0 is honoured (SALib alone would use the global RNG)
    Xm = sa.sample(problem, "morris", 20, seed=9)
    sa.analyze(problem, "morris", Xm, Ishigami.evaluate(Xm), seed=0)
    assert problem == before


def test_make_problem():
    prob = sa.make_problem(["a", "b"], [(0, 1), (2.5, 3)])
    assert prob == {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [2.5, 3.0]]}


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda p: sa.make_problem(["a", "b"], [(0, 1)]), "one \\(low, high\\) pair"),
        (lambda p: sa.make_problem(["a", "a"], [(0, 1)] * 2), "unique"),
        (lambda p: sa.make_problem(["a"], [(1, 0)]), "low < high"),
        (lambda p: sa.make_problem(["a"], [(0, math.inf)]), "finite"),
        (lambda p: sa.make_problem("ab", [(0, 1)]), "single string"),
        (lambda p: sa.make_problem([], []), "at least one"),
        (lambda p: sa.sample({**p, "groups": ["g", "g", "h"]}, "sobol", 8), "groups"),
        (lambda p: sa.sample(p, "fast", 8), "method"),
        (lambda p: sa.sample(p, "sobol", 100), "power of two"),
        (lambda p: sa.sample(p, "morris", 1), "at least 2"),
        (lambda p: sa.sample(p, "morris", 10, num_levels=5), "even"),
        (lambda p: sa.sample(p, "sobol", 8, seed=-1), "seed"),
    ],
)
def test_bad_arguments_raise_one_line_value_error(problem, call, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        call(problem)
    assert "\n" not in str(err.value)


def test_analyze_rejects_mismatched_designs(problem):
    X = sa.sample(problem, "sobol", 8, seed=0)
    Y = Ishigami.evaluate(X)
    cases = [
        (lambda: sa.analyze(problem, "sobol", X, Y[:-1]), "one output per row"),
        (lambda: sa.analyze(problem, "sobol", X, np.where(Y > 0, np.nan, Y)), "NaN"),
        (lambda: sa.analyze(problem, "sobol", X, np.ones_like(Y)), "constant"),
        (lambda: sa.analyze(problem, "sobol", X[:-1], Y[:-1]), "not a multiple"),
        # 8 base samples x 5 rows = 40 rows = 5 blocks of 8: only the layout check notices.
        (lambda: sa.analyze(problem, "sobol", X, Y, calc_second_order=True), "layout"),
        (lambda: sa.analyze(problem, "sobol", X, Y, conf_level=1.0), "conf_level"),
        (lambda: sa.analyze(problem, "morris", X[:32], Y[:32]), "Morris design"),
        (lambda: sa.convergence(problem, "sobol", X[:15], Y[:15]), "at least 4"),
    ]
    Xm = sa.sample(problem, "morris", 10, seed=0)
    Ym = Ishigami.evaluate(Xm)
    cases.append((lambda: sa.analyze(problem, "morris", Xm, Ym, num_levels=6), "num_levels=6"))
    for call, fragment in cases:
        with pytest.raises(ValueError, match=fragment) as err:
            call()
        assert "\n" not in str(err.value)
