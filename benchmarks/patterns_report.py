"""Pattern figures PT1-PT10, measured as tests/model/test_patterns.py measures them.

    python benchmarks/patterns_report.py               # print the report
    python benchmarks/patterns_report.py --update-odd  # also write it into docs/ODD.md

Seeds 0-9, 20-year runs of `baseline`, `price_only_tender` and `quality_tender`, and the
knock-out arms the pattern tests use (tests/knockouts.py), run in parallel with paired seeds. For
each pattern it prints the figure per seed, its mean, the test's condition, and the figure with
the mechanism that produces it knocked out. The figures are model outputs, not inputs;
docs/ODD.md §10 holds the last report between <!-- BEGIN PATTERN FIGURES --> and
<!-- END PATTERN FIGURES -->.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

import dmpsim
from dmpsim.experiments import patterns
from dmpsim.model.params import CONTROL_PRESSURES, OUTPUT_PRESSURES

SEEDS = range(10)  # tests/knockouts.py: SEEDS
ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python benchmarks/patterns_report.py"
ARMS = {
    "baseline": ("baseline", {}),
    "price_only_tender": ("price_only_tender", {}),
    "quality_tender": ("quality_tender", {}),
    "no_time_pressure": ("baseline", {"mechanisms.time_pressure": False}),
    "no_response_ladder": ("baseline", {"mechanisms.response_ladder": False}),
    "no_reputation": ("baseline", {"mechanisms.reputation": False}),
    "no_learning_or_pool": ("baseline", {"mechanisms.learning": False,
                                         "mechanisms.field_pool": False}),
    "no_income_reliance": ("baseline", {"mechanisms.income_reliance": False}),
    "no_method_insistence": ("baseline", {"mechanisms.method_insistence": False}),
    "no_large_firms": ("price_only_tender", {"mechanisms.large_firms": False}),
    "no_hidden_politics": ("baseline", {"mechanisms.hidden_politics": False}),
    "low_commitment": ("baseline", {"commissioners.commitment": 0.15}),
    "low_commitment_no_follow_through": ("baseline", {"commissioners.commitment": 0.15,
                                                      "mechanisms.follow_through": False}),
}


def _one(task):
    arm, seed = task
    scenario, overrides = ARMS[arm]
    result = dmpsim.run(scenario, seed=seed, overrides=overrides)
    keep = arm == "baseline"
    summary = dict(result.summary)
    episodes = result.episodes
    summary["method_withdrawals"] = int(((episodes["type"] == "method")
                                         & (episodes["outcome"] == "withdrawn")).sum())
    tables = (result.episodes, result.contracts, result.practitioners) if keep else None
    return arm, seed, summary, tables


def _revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def _ok(flag: bool) -> str:
    return "pass" if flag else "FAIL"


def _seeds(values) -> str:
    return " ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in values)


def report(workers: int | None = None) -> str:
    tasks = [(arm, seed) for arm in ARMS for seed in SEEDS]
    with ProcessPoolExecutor(workers or os.cpu_count() or 1,
                             mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_one, tasks, chunksize=2))
    summaries = {}
    tables = {}
    for arm, seed, summary, own in results:
        summaries.setdefault(arm, {})[seed] = summary
        if own is not None:
            tables[seed] = own

    def fig(arm: str, key: str) -> np.ndarray:
        return np.array([summaries[arm][s][key] for s in SEEDS], dtype=float)

    def pooled(index: int) -> pd.DataFrame:
        return pd.concat([tables[s][index].assign(run=s) for s in SEEDS], ignore_index=True)

    lines = [f"command: {COMMAND}; date {_dt.date.today().isoformat()}; revision {_revision()}; "
             f"seeds {SEEDS.start}-{SEEDS.stop - 1}, 240 months",
             "",
             "Market (baseline): contracts a year "
             f"{np.mean(fig('baseline', 'contracts_awarded')) / 20:.1f}, independents active at the "
             f"end {np.mean(fig('baseline', 'independents_active')):.1f}, mean integrity "
             f"{np.mean(fig('baseline', 'integrity_mean')):.3f}", ""]

    pt1 = fig("baseline", "PT1")
    lines += ["PT1  share of practitioners with >= 3 contracts who met pressure",
              f"  per seed {_seeds(pt1)}; min {pt1.min():.3f} (>= 0.60 {_ok(pt1.min() >= 0.6)}), "
              f"mean {pt1.mean():.3f} (>= 0.80 {_ok(pt1.mean() >= 0.8)}); no time_pressure: mean "
              f"{fig('no_time_pressure', 'PT1').mean():.3f}", ""]

    counts = pooled(0)["type"].value_counts()
    control = counts[list(CONTROL_PRESSURES)].sort_values()
    lines += ["PT2  episodes by type, pooled: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
              f"  most frequent {counts.idxmax()} ({_ok(counts.idxmax() == 'time_resources')}); "
              f"most frequent control {control.idxmax()} "
              f"({_ok(control.idxmax() == 'experts_information')}); two rarest control "
              f"{', '.join(control.index[:2])} ({_ok(set(control.index[:2]) == set(OUTPUT_PRESSURES))}); "
              f"time share {fig('baseline', 'PT2').mean():.3f}, without time_pressure "
              f"{fig('no_time_pressure', 'PT2').mean():.3f}", ""]

    pt3 = fig("baseline", "PT3")
    careers = [patterns.pt3_walking_away(tables[s][2]) for s in SEEDS]
    minority = np.array([c["ever_withdrew"] + c["ever_threatened"] for c in careers])
    lines += ["PT3  share of practitioners with >= 3 contracts who never withdrew",
              f"  per seed {_seeds(pt3)}; min {pt3.min():.3f} (>= 0.70 {_ok(pt3.min() >= 0.7)}), "
              f"mean {pt3.mean():.3f} (>= 0.80 {_ok(pt3.mean() >= 0.8)}); ever withdrew or "
              f"threatened: mean {minority.mean():.3f}, max {minority.max():.3f}; withdrawals "
              f"without the response ladder: {int(fig('no_response_ladder', 'contracts_withdrawn').sum())}",
              ""]

    episodes, contracts = pooled(0), pooled(1)
    episodes["contract"] = episodes["run"] * 1_000_000 + episodes["contract"]
    contracts["contract"] = contracts["run"] * 1_000_000 + contracts["contract"]
    shares = patterns.pt4_established_responses(episodes, contracts)
    lines += ["PT4  established independents pressed on report or outcome, first responses (pooled): "
              + ", ".join(f"{k} {v:.3f}" for k, v in shares.items()),
              f"  comply {shares.get('comply', 0.0):.3f} (<= 0.10 {_ok(shares.get('comply', 0.0) <= 0.1)}); "
              f"comply_rate overall {fig('baseline', 'comply_rate').mean():.3f}, without reputation "
              f"{fig('no_reputation', 'comply_rate').mean():.3f}", ""]

    pt5 = fig("baseline", "PT5")
    lines += ["PT5  within-practitioner slope of episodes per contract per 10 processes of experience",
              f"  per seed {_seeds(pt5)}; mean {pt5.mean():.3f} (< 0 {_ok(pt5.mean() < 0)}); "
              f"without learning and the field pool {fig('no_learning_or_pool', 'PT5').mean():.3f}",
              ""]

    reliance = [patterns.pt6_reliance(tables[s][0], tables[s][2]) for s in SEEDS]
    frame = pd.DataFrame(reliance)
    lines += ["PT6  independents living on commissioned income alone against those with a safety net",
              f"  given in to: {frame['given_in_reliant'].mean():.3f} against "
              f"{frame['given_in_secure'].mean():.3f}; exited: {frame['exited_reliant'].mean():.3f} "
              f"against {frame['exited_secure'].mean():.3f}; gap without income reliance "
              f"{fig('no_income_reliance', 'PT6').mean():.3f} (with {fig('baseline', 'PT6').mean():.3f})",
              ""]

    by_type = patterns.pt7_withdrawals_by_type(pooled(0))
    lines += ["PT7  withdrawals by cause, pooled: " + (", ".join(f"{k} {v}" for k, v in by_type.items())
                                                     or "none"),
              f"  method withdrawals {int(fig('baseline', 'method_withdrawals').sum())}, without "
              f"method insistence {int(fig('no_method_insistence', 'method_withdrawals').sum())}", ""]

    lines.append("PT8  means by scenario: independents active, field experience, integrity")
    for arm in ("baseline", "quality_tender", "price_only_tender", "no_large_firms"):
        label = "price_only, no large firms" if arm == "no_large_firms" else arm
        lines.append(f"  {label:<28} {fig(arm, 'independents_active').mean():6.1f} "
                     f"{fig(arm, 'field_experience').mean():8.1f} {fig(arm, 'integrity_mean').mean():7.3f}")
    lines.append("")

    pt9 = pd.DataFrame([patterns.pt9_trust_and_honesty(tables[s][1]) for s in SEEDS]).mean()
    lines += ["PT9  episodes per contract: less honest half "
              f"{pt9['episodes_dishonest']:.3f}, more honest half {pt9['episodes_honest']:.3f}; "
              f"untrusted {pt9['episodes_untrusted']:.3f}, trusted {pt9['episodes_trusted']:.3f}; "
              f"integrity honest {pt9['integrity_honest']:.3f}, dishonest {pt9['integrity_dishonest']:.3f}; "
              f"gap without hidden politics {fig('no_hidden_politics', 'PT9').mean():.3f} "
              f"(with {fig('baseline', 'PT9').mean():.3f})", ""]

    rows = pd.DataFrame([summaries[a][s] for a in ("baseline", "price_only_tender",
                                                    "quality_tender", "no_response_ladder")
                         for s in SEEDS])
    lines += ["PT10 across runs: corr(scandals, confidence) "
              f"{rows['scandals'].corr(rows['public_confidence']):.3f}, corr(confidence, tenders) "
              f"{rows['public_confidence'].corr(rows['tenders']):.3f}; stall (fall of the last three "
              f"years from the peak): baseline {fig('baseline', 'PT10').mean():.3f}, low commitment "
              f"{fig('low_commitment', 'PT10').mean():.3f}, low commitment without follow-through "
              f"{fig('low_commitment_no_follow_through', 'PT10').mean():.3f}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-odd", action="store_true", help="write the report into docs/ODD.md")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    text = report(args.workers)
    print(text)
    if args.update_odd:
        sys.path.insert(0, str(ROOT / "tools"))
        import odd_tables as docs

        path = ROOT / "docs" / "ODD.md"
        block = "```text\n" + text + "\n```"
        path.write_text(docs.replace_block(path.read_text(encoding="utf-8"), "PATTERN FIGURES",
                                           block), encoding="utf-8")
        print(f"updated {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
