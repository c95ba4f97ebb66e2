"""benchmarks/levers.py: its rows are valid, a bad key stops it, and a tiny run prints the table."""

from __future__ import annotations

import pytest
from support import load_benchmark

from dmpsim.model.params import MECHANISMS


@pytest.fixture(scope="module")
def levers():
    return load_benchmark("levers.py", "levers_bench")


def test_rows_are_valid_and_cover_every_mechanism(levers):
    rows = levers.LEVERS + levers.knockout_rows()
    levers.check_rows(rows)  # raises SystemExit on any problem
    assert {r.id for r in rows if r.group == "knock-out"} == set(MECHANISMS)
    assert set(levers.EXPECTED_KNOCKOUTS) == set(MECHANISMS)
    assert {r.id for r in levers.LEVERS} == set(levers.EXPECTED_LEVERS)


def test_unknown_key_or_bad_value_fails_loudly(levers):
    bad = levers.Row("x", "lever", "x", base={}, change={"governance.no_such_lever": True})
    with pytest.raises(SystemExit, match="unknown parameter key"):
        levers.check_rows([*levers.LEVERS, bad])
    out_of_range = levers.Row("y", "lever", "y", change={"governance.participant_control": 2.0})
    with pytest.raises(SystemExit, match="participant_control"):
        levers.check_rows([*levers.LEVERS, out_of_range])


def test_verdicts(levers):
    cell = levers.Cell
    assert levers.verdict(cell(-0.1, -0.2, -0.05, True, 20), -1) == "yes"
    assert levers.verdict(cell(0.1, 0.05, 0.2, True, 20), -1) == "NO (opposite)"
    assert levers.verdict(cell(-0.1, -0.2, 0.05, False, 20), -1) == "yes (n.s.)"
    assert levers.verdict(cell(0.0, 0.0, 0.0, False, 20), 1) == "no (no effect)"
    assert levers.verdict(cell(3.0, 1.0, 5.0, True, 20), 0) == "yes"


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_tiny_run_prints_both_tables(levers, tmp_path, capsys, workers):
    out = tmp_path / "levers.md"
    assert levers.main(["--seeds", "2", "--steps", "12", "--workers", str(workers),
                        "--markdown", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.strip() == out.read_text(encoding="utf-8").strip()
    assert "| procurement.rule: quality → price |" in text
    assert "| M3 safety_net off |" in text
    assert "(base: governance.separate_funder_share = 0.5)" in text
    assert "| row | output | paper | measured | matches | reason |" in text
