"""The lever and mechanism table: every policy lever of ODD §12 and every knock-out, measured.

    python benchmarks/levers.py                        # 20 paired seeds, 20-year runs (a few minutes on 2 cores)
    python benchmarks/levers.py --quick                # 5 seeds, 10 years: a smoke test
    python benchmarks/levers.py --seeds 40 --markdown levers.md

For every row the script runs the `baseline` scenario twice per seed, once as the row's base
and once with the row's change, with the same seed in both arms (common random numbers), and
reports the mean paired difference (change minus base) on seven outputs: `integrity_mean`,
`comply_rate`, `pressure_rate`, `independent_share`, `field_experience`, `public_confidence`
and `contracts_completed` (meanings in `dmpsim.experiments.tables.SUMMARY_KEYS`).

Rows:

- *levers* (ODD §12, plus two commissioner traits that are not pressure, budget adequacy and
  transparency, so that the table shows how much of integrity's variation is theirs): a value
  contrast such as `procurement.rule: quality -> price`;
- *knock-outs*: every mechanism switch of `dmpsim.model.params.MECHANISMS` set to false, with its
  mechanism number. A mechanism that only acts where a lever is on (funder separation, large
  firms) is knocked out on a base with that lever on, and the row says so.

Each cell is `mean [low, high]` with a 95% bias-corrected and accelerated (BCa) bootstrap interval
of the mean paired difference (`scipy.stats.bootstrap` through
`dmpsim.analysis.stats.paired_difference`, 5000 resamples, resampling whole seed pairs); `*`
marks an interval that excludes zero. A second table says, per row, whether the measured
direction on its main output(s) matches the paper: the expected signs and a one-line reason for
each are in `EXPECTED_LEVERS` and `EXPECTED_KNOCKOUTS` below ("none" where the paper gives no
direction).

Runs that two rows share (the plain baseline arm above all) are run once. Parameter keys are
checked against `dmpsim.model.params.FLAT` before anything runs: a key or value that does not
exist stops the script.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# One core per worker: keep numerical libraries from starting thread pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

import dmpsim  # noqa: E402
from dmpsim.analysis.stats import paired_difference  # noqa: E402
from dmpsim.experiments.scenario import load_scenario  # noqa: E402
from dmpsim.model.params import FLAT, MECHANISMS, check_value  # noqa: E402

SCENARIO = "baseline"
OUTPUTS = (
    "integrity_mean",
    "comply_rate",
    "pressure_rate",
    "independent_share",
    "field_experience",
    "public_confidence",
    "contracts_completed",
)
# Decimals shown per output (counts and experience stocks are in the hundreds).
DECIMALS = {"field_experience": 1, "contracts_completed": 1}
DEFAULT_SEEDS = 20
DEFAULT_STEPS = 240  # months: 20 years
QUICK_SEEDS = 5
QUICK_STEPS = 120
CONFIDENCE = 0.95
RESAMPLES = 5000

# --------------------------------------------------------------------------------------------
# the rows


@dataclass(frozen=True)
class Row:
    """One contrast: `change` applied on top of `base` (both dotted-key overrides of SCENARIO)."""

    id: str
    group: str  # "lever" or "knock-out"
    label: str
    base: dict[str, Any] = field(default_factory=dict)
    change: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def key(self) -> str:
        """Unique across both groups (a lever and a mechanism may share a name)."""
        return f"{self.group}:{self.id}"


def _lever(id_: str, label: str, frm: dict[str, Any], to: dict[str, Any], note: str = "",
           base: dict[str, Any] | None = None) -> Row:
    return Row(id_, "lever", label, base={**(base or {}), **frm}, change=to, note=note)


LEVERS: list[Row] = [
    _lever("rule_price", "procurement.rule: quality → price",
           {"procurement.rule": "quality"}, {"procurement.rule": "price"}),
    _lever("rule_direct", "procurement.rule: quality → direct",
           {"procurement.rule": "quality"}, {"procurement.rule": "direct"}),
    _lever("rule_consortium", "procurement.rule: quality → consortium",
           {"procurement.rule": "quality"}, {"procurement.rule": "consortium"}),
    _lever("price_weighted", "quality weights price/experience/reputation: 0.4/0.3/0.3 → 0.7/0.15/0.15",
           {"procurement.weight_price": 0.4, "procurement.weight_experience": 0.3,
            "procurement.weight_reputation": 0.3},
           {"procurement.weight_price": 0.7, "procurement.weight_experience": 0.15,
            "procurement.weight_reputation": 0.15}),
    _lever("separate_funder", "governance.separate_funder_share: 0 → 0.5",
           {"governance.separate_funder_share": 0.0}, {"governance.separate_funder_share": 0.5}),
    _lever("transparency_mandate", "governance.transparency_mandate: false → true",
           {"governance.transparency_mandate": False}, {"governance.transparency_mandate": True}),
    _lever("oversight_board", "governance.oversight_board: false → true",
           {"governance.oversight_board": False}, {"governance.oversight_board": True}),
    _lever("participant_control", "governance.participant_control: 0.2 → 0.8",
           {"governance.participant_control": 0.2}, {"governance.participant_control": 0.8}),
    _lever("upfront_commitment", "governance.upfront_commitment: false → true",
           {"governance.upfront_commitment": False}, {"governance.upfront_commitment": True}),
    _lever("capacity_building", "governance.capacity_building: 0 → 3",
           {"governance.capacity_building": 0.0}, {"governance.capacity_building": 3.0}),
    _lever("large_firms", "large_firms.enabled: false → true",
           {"large_firms.enabled": False}, {"large_firms.enabled": True}),
    _lever("large_firms_price", "large_firms.enabled: false → true, under price-only tenders",
           {"large_firms.enabled": False}, {"large_firms.enabled": True},
           base={"procurement.rule": "price"}, note="base: procurement.rule = price"),
    _lever("honesty", "commissioners.honesty: 0.65 → 0.4",
           {"commissioners.honesty": 0.65}, {"commissioners.honesty": 0.4}),
    _lever("budget_adequacy", "commissioners.budget_adequacy: 0.9 → 0.7 (trait, not pressure)",
           {"commissioners.budget_adequacy": 0.9}, {"commissioners.budget_adequacy": 0.7}),
    _lever("commissioner_transparency", "commissioners.transparency: 0.6 → 0.4 (trait, not pressure)",
           {"commissioners.transparency": 0.6}, {"commissioners.transparency": 0.4}),
]

# Mechanisms that only act where a lever is on: their knock-out runs on a base with it on.
KNOCKOUT_BASES: dict[str, dict[str, Any]] = {
    "funder_separation": {"governance.separate_funder_share": 0.5},
    "large_firms": {"large_firms.enabled": True},
}


def knockout_rows() -> list[Row]:
    rows = []
    for name, (number, _meaning) in MECHANISMS.items():
        base = KNOCKOUT_BASES.get(name, {})
        note = "base: " + ", ".join(f"{k} = {_show(v)}" for k, v in base.items()) if base else ""
        rows.append(Row(name, "knock-out", f"{number} {name} off", base=dict(base),
                        change={f"mechanisms.{name}": False}, note=note))
    return rows


# --------------------------------------------------------------------------------------------
# what the paper expects: row id -> [(output, sign, reason)]; sign +1 raises, -1 lowers, 0 changes
# (either way). An empty list: the paper gives no direction on these outputs.

Expectation = tuple[str, int, str]

EXPECTED_LEVERS: dict[str, list[Expectation]] = {
    "rule_price": [("integrity_mean", -1, "PT8: where work is won on price 'the experience of dealing with integrity challenges is also diminished' and integrity falls")],
    "rule_direct": [("pressure_rate", -1, "PT9: direct award goes to trusted incumbents; good experiences come from 'achieving trust and honesty between practitioners and commissioners'")],
    "rule_consortium": [],  # the paper: consortium tenders 'could encourage further collaboration', no effect on these outputs
    "price_weighted": [("integrity_mean", -1, "PT8: 'where tenders reward experience, much less so': weighting price over experience moves toward the price-only case")],
    "separate_funder": [("pressure_rate", -1, "M19: 'the commissioning body is not always the funder of the process, and this separation could also ease the pressure'")],
    "transparency_mandate": [("integrity_mean", +1, "M11/M22: NDAs or 'appearing unwilling to publish everything' imply the commissioner 'is trying to hide something'; publishing the process design upholds integrity")],
    "oversight_board": [],  # the paper does not discuss oversight boards; MODEL.md §5 lists it as a lever only
    "participant_control": [("pressure_rate", -1, "M18: 'the more control participants have in a process, the less opportunities there are for manipulation and undue influence'")],
    "upfront_commitment": [("public_confidence", +1, "M20/M24: commissioners that 'did not follow up on the recommendations' 'just erode confidence in these processes'")],
    "capacity_building": [("pressure_rate", -1, "M14: 'most commissioning bodies have little experience'; 'fear about public backlash ... can lead to attempts to control a process'")],
    "large_firms": [("independent_share", -1, "M23: 'these firms could effectively push out smaller, independent operators out of the market'")],
    "large_firms_price": [("field_experience", -1, "PT8/M23: firms winning on price push independents out, 'with the knock-on effect that the experience of dealing with integrity challenges is also diminished'")],
    "honesty": [("integrity_mean", -1, "PT9/M13: pressures 'are exacerbated when commissioning bodies are not honest with practitioners about the politics'"),
                ("pressure_rate", +1, "PT9: contracts with commissioners honest about the politics 'see fewer pressure episodes'")],
    "budget_adequacy": [("pressure_rate", +1, "M9: 'restricted time and resources were the biggest integrity pressures'")],
    "commissioner_transparency": [("integrity_mean", -1, "M11: 'appearing unwilling to publish everything from the process' implies 'the commissioning body is trying to hide something'")],
}

EXPECTED_KNOCKOUTS: dict[str, list[Expectation]] = {
    "commissioner_kinds": [],  # M1: the paper names the kinds but not how they differ
    "safety_net": [("comply_rate", +1, "M3: 'having an external backer or philanthropic funder gives practitioners a financial safety net'; without it they give in more")],
    "income_reliance": [("comply_rate", -1, "M3/PT6: 'practitioners who rely on commissioned processes alone for income are in a more vulnerable position when faced with pressure'")],
    "learning": [("pressure_rate", +1, "M4/PT5: practitioners 'learned from negative experiences to both improve their practice and know what—and who—to avoid'")],
    "staff_turnover": [("field_experience", +1, "M4/M23: 'practitioners rely on their extensive experience'; experience that leaves with people is 'diminished'")],
    "reputation": [("comply_rate", +1, "M5: reputation 'was cited by some as an additional motivation for upholding the integrity of a process under pressure' and is 'valuable leverage'")],
    "experts_pressure": [("pressure_rate", -1, "M6: 'the provision of information and selection of experts' is 'one particular pressure point identified by multiple participants'")],
    "output_pressure": [("integrity_mean", +1, "M7/PT4: 'demands on the content of the final report' and 'a desire for a specific outcome': 'it's not my job to engineer you an outcome'")],
    "nonpayment_threat": [("comply_rate", -1, "M8: a commissioner 'threatened not to pay the external suppliers and contractors' to force its way")],
    "time_pressure": [("pressure_rate", -1, "M9: 'restricted time and resources were the biggest integrity pressures'")],
    "method_insistence": [],  # M10 acts on withdrawals (PT7), not on these outputs
    "secrecy": [("pressure_rate", -1, "M11: 'Wanting practitioners or participants to sign a non-disclosure agreement' is itself a pressure")],
    "participation_wash": [("pressure_rate", -1, "M12: 'the risk of participation wash' drives method demands")],
    "hidden_politics": [("pressure_rate", -1, "M13: pressures 'are exacerbated when commissioning bodies are not honest with practitioners about the politics'")],
    "anxiety": [("pressure_rate", -1, "M14: 'fear about public backlash ... can lead to attempts to control a process'")],
    "screening": [("pressure_rate", +1, "M15: red flags 'rule them out of taking on a project in the first place'")],
    "clarity": [("pressure_rate", +1, "M16: 'ensuring clarity from the outset on the roles and expectations' heads off pressure")],
    "response_ladder": [("comply_rate", +1, "M17: practitioners are 'willing to stand up to commissioning authorities'; without the ladder every demand is met"),
                        ("integrity_mean", -1, "M17/PT4: demands met in full damage the process ('it's not my job to engineer you an outcome')")],
    "stakeholders": [("pressure_rate", -1, "M18: 'stakeholders had attempted to contact and influence participants'")],
    "participant_control": [("pressure_rate", +1, "M18: 'the more control participants have in a process, the less opportunities there are for manipulation'")],
    "funder_separation": [("pressure_rate", +1, "M19: 'this separation could also ease the pressure'")],
    "follow_through": [("public_confidence", +1, "M20/M24: ignored recommendations ('did not follow up on the recommendations') 'erode confidence in these processes'")],
    "competition": [("pressure_rate", -1, "M21: 'competition may limit transparency and collaboration across the community'; without it lessons are shared")],
    "field_pool": [("pressure_rate", +1, "M21: without the shared pool practitioners learn only from their own bad experiences")],
    "publication": [("integrity_mean", -1, "M22: 'publishing the process design' enacts transparency and opens processes to scrutiny")],
    "large_firms": [("independent_share", +1, "M23: 'these firms could effectively push out smaller, independent operators'")],
    "confidence": [("contracts_completed", 0, "M24: 'you just erode confidence in these processes': confidence drives demand")],
}

# --------------------------------------------------------------------------------------------
# checking and running


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_rows(rows: list[Row]) -> None:
    """Fail loudly on a key that does not exist, a value out of range or a stale expectation."""
    problems = []
    keys = [r.key for r in rows]
    problems += [f"row {k!r} appears twice" for k in sorted({k for k in keys if keys.count(k) > 1})]
    for row in rows:
        for key, value in {**row.base, **row.change}.items():
            if key not in FLAT:
                problems.append(f"row {row.id}: unknown parameter key {key!r}")
                continue
            try:
                check_value(key, value)
            except ValueError as exc:
                problems.append(f"row {row.id}: {key} = {value!r}: {exc}")
    lever_ids = {r.id for r in rows if r.group == "lever"}
    for table, ids in ((EXPECTED_LEVERS, lever_ids), (EXPECTED_KNOCKOUTS, set(MECHANISMS))):
        for id_, expectations in table.items():
            if id_ not in ids:
                problems.append(f"expectation for {id_!r}, which is not a row")
            for output, sign, _reason in expectations:
                if output not in OUTPUTS or sign not in (-1, 0, 1):
                    problems.append(f"expectation for {id_!r}: bad output or sign {output!r} {sign!r}")
    for row in rows:
        table = EXPECTED_LEVERS if row.group == "lever" else EXPECTED_KNOCKOUTS
        if row.id not in table:
            problems.append(f"row {row.id!r} has no entry in the expected-direction table")
    if problems:
        raise SystemExit("levers.py: bad rows\n  " + "\n  ".join(problems))


def canonical(overrides: dict[str, Any], defaults: dict[str, Any]) -> tuple:
    """The overrides that differ from SCENARIO's own values, as a hashable key (shared runs)."""
    return tuple(sorted((k, v) for k, v in overrides.items() if defaults[k] != v))


def _one_run(job: tuple[tuple, int, int]) -> tuple[tuple, int, dict[str, float]]:
    config, seed, steps = job
    summary = dmpsim.run(SCENARIO, seed=seed, steps=steps, overrides=dict(config)).summary
    return config, seed, {k: float(summary[k]) for k in OUTPUTS}


def run_all(rows: list[Row], seeds: list[int], steps: int, workers: int,
            ) -> tuple[dict[tuple, dict[int, dict[str, float]]], dict[str, tuple[tuple, tuple]]]:
    defaults = load_scenario(SCENARIO).effective()
    arms = {r.key: (canonical(r.base, defaults), canonical({**r.base, **r.change}, defaults))
            for r in rows}
    configs = sorted({c for pair in arms.values() for c in pair}, key=repr)
    for row in rows:
        if arms[row.key][0] == arms[row.key][1]:
            raise SystemExit(f"levers.py: row {row.id!r} changes nothing on {SCENARIO}")
    for config in configs:  # cross-key checks (e.g. shares that must not exceed 1), before running
        load_scenario(SCENARIO, dict(config))
    jobs = [(c, s, steps) for c in configs for s in seeds]
    results: dict[tuple, dict[int, dict[str, float]]] = {c: {} for c in configs}
    print(f"{len(rows)} rows, {len(configs)} distinct configurations x {len(seeds)} seeds = "
          f"{len(jobs)} runs of {steps} months on {workers} workers", file=sys.stderr)
    start = time.perf_counter()
    done = 0
    with _executor(workers) as pool:
        for config, seed, summary in pool.map(_one_run, jobs, chunksize=4):
            results[config][seed] = summary
            done += 1
            if done % max(1, len(jobs) // 10) == 0 or done == len(jobs):
                print(f"  {done}/{len(jobs)} runs, {time.perf_counter() - start:.0f} s",
                      file=sys.stderr)
    return results, arms


class _Serial:
    """In-process stand-in for a pool (--workers 1): easier to debug and profile."""

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn, items, chunksize: int = 1):  # same signature as the pool's
        return map(fn, items)


def _executor(workers: int) -> ProcessPoolExecutor | _Serial:
    """Worker processes; a dead worker raises (BrokenProcessPool) instead of hanging.

    Importing Mesa sets the default start method to spawn; fork is used instead on Linux, so
    that workers start without importing dmpsim again and see this module however it was loaded
    (a spawned worker cannot import a script loaded by path). The workers only run the model,
    which takes no lock another thread could hold at the fork.
    """
    if workers == 1:
        return _Serial()
    if sys.platform == "linux":
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


# --------------------------------------------------------------------------------------------
# statistics and tables


@dataclass(frozen=True)
class Cell:
    mean: float
    low: float
    high: float
    significant: bool
    n: int


def difference(treat: list[float], base: list[float]) -> Cell:
    t, b = np.asarray(treat, dtype=float), np.asarray(base, dtype=float)
    keep = np.isfinite(t) & np.isfinite(b)  # e.g. comply_rate of a run with no episodes
    if keep.sum() < 2:
        return Cell(math.nan, math.nan, math.nan, False, int(keep.sum()))
    d = paired_difference(t[keep], b[keep], confidence=CONFIDENCE, n_resamples=RESAMPLES, rng=0)
    return Cell(d["mean_diff"], d["low"], d["high"], d["significant"], d["n"])


def fmt_cell(cell: Cell, output: str) -> str:
    if math.isnan(cell.mean):
        return "n/a"
    dp = DECIMALS.get(output, 3)
    low = "nan" if math.isnan(cell.low) else f"{cell.low:.{dp}f}"
    high = "nan" if math.isnan(cell.high) else f"{cell.high:.{dp}f}"
    return f"{cell.mean:.{dp}f} [{low}, {high}]{'*' if cell.significant else ''}"


def verdict(cell: Cell, sign: int) -> str:
    if math.isnan(cell.mean):
        return "n/a"
    if sign == 0:
        return "yes" if cell.significant else "no (n.s.)"
    if cell.mean == 0.0 and not cell.significant:
        return "no (no effect)"
    same = cell.mean * sign > 0
    if cell.significant:
        return "yes" if same else "NO (opposite)"
    return "yes (n.s.)" if same else "no (n.s., opposite)"


SIGN = {1: "+", -1: "−", 0: "≠ 0"}


def tables(rows: list[Row], cells: dict[str, dict[str, Cell]]) -> tuple[str, str, dict[str, int]]:
    head = "| row | " + " | ".join(f"`{o}`" for o in OUTPUTS) + " |"
    lines = [head, "|" + "---|" * (len(OUTPUTS) + 1)]
    for group in ("lever", "knock-out"):
        lines.append(f"| **{group}s** |" + " |" * len(OUTPUTS))
        for row in (r for r in rows if r.group == group):
            label = row.label + (f" ({row.note})" if row.note else "")
            lines.append(f"| {label} | "
                         + " | ".join(fmt_cell(cells[row.key][o], o) for o in OUTPUTS) + " |")
    effects = "\n".join(lines)

    counts: dict[str, int] = {}
    lines = ["| row | output | paper | measured | matches | reason |", "|---|---|---|---|---|---|"]
    for row in rows:
        table = EXPECTED_LEVERS if row.group == "lever" else EXPECTED_KNOCKOUTS
        expectations = table.get(row.id, [])
        if not expectations:
            lines.append(f"| {row.label} | — | none | — | — | the paper gives no direction on these outputs |")
            counts["none"] = counts.get("none", 0) + 1
        for output, sign, reason in expectations:
            cell = cells[row.key][output]
            v = verdict(cell, sign)
            counts[v] = counts.get(v, 0) + 1
            lines.append(f"| {row.label} | `{output}` | {SIGN[sign]} | {fmt_cell(cell, output)} "
                         f"| {v} | {reason} |")
    return effects, "\n".join(lines), counts


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the workers)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"paired seeds per row (default {DEFAULT_SEEDS}; --quick {QUICK_SEEDS})")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"months per run (default {DEFAULT_STEPS}, 20 years; --quick {QUICK_STEPS})")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are FIRST .. FIRST+N-1")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: os.cpu_count())")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: {QUICK_SEEDS} seeds, {QUICK_STEPS // 12} years")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args(argv)
    n_seeds = args.seeds or (QUICK_SEEDS if args.quick else DEFAULT_SEEDS)
    steps = args.steps or (QUICK_STEPS if args.quick else DEFAULT_STEPS)
    if n_seeds < 2 or steps < 1 or args.workers < 1:
        parser.error("--seeds must be >= 2, --steps and --workers >= 1")
    if n_seeds < DEFAULT_SEEDS and not args.quick:
        print(f"note: {n_seeds} seeds, fewer than the {DEFAULT_SEEDS} the table is meant for",
              file=sys.stderr)

    rows = LEVERS + knockout_rows()
    check_rows(rows)
    seeds = list(range(args.first_seed, args.first_seed + n_seeds))
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    results, arms = run_all(rows, seeds, steps, args.workers)
    run_seconds, cpu_seconds = time.perf_counter() - start, _cpu_seconds() - cpu_start

    cells: dict[str, dict[str, Cell]] = {}
    for row in rows:
        base, treat = (results[c] for c in arms[row.key])
        cells[row.key] = {o: difference([treat[s][o] for s in seeds], [base[s][o] for s in seeds])
                         for o in OUTPUTS}
    effects, directions, counts = tables(rows, cells)
    n_runs = sum(len(v) for v in results.values())
    header = (
        f"Levers and knock-outs on `{SCENARIO}`: mean paired difference (change − base) over "
        f"{n_seeds} seeds ({args.first_seed}..{seeds[-1]}, the same seed in both arms), "
        f"{steps}-month runs; [95% BCa bootstrap interval of the mean paired difference "
        f"(scipy.stats.bootstrap, {RESAMPLES} resamples)]; * the interval excludes zero."
    )
    tally = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    footer = (f"{n_runs} runs ({len(results)} distinct configurations) in {run_seconds:.0f} s "
              f"wall, {cpu_seconds:.0f} s CPU, on {args.workers} workers; "
              f"dmpsim {getattr(dmpsim, '__version__', '?')}.")
    text = (f"{header}\n\n{effects}\n\n"
            f"Direction on the main output(s) against the paper (paper: + raises, − lowers, "
            f"≠ 0 changes; yes = right sign and interval excludes zero; n.s. = interval "
            f"includes zero):\n\n{directions}\n\nTally: {tally}.\n\n{footer}\n")
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
        print(f"written to {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
