"""Pattern figures PT1-PT5 on the baseline scenario, measured exactly as tests/test_patterns.py does.

    python benchmarks/patterns_report.py               # print the report
    python benchmarks/patterns_report.py --update-odd  # also write it into docs/ODD.md

For each pattern it prints the figure per seed and pooled over seeds 0-5, with the thresholds the
test applies, then the lever contrasts of that test (large_firm_entry against price_only_tender,
seeds 0-3). The figures are model outputs, not inputs; docs/ODD.md ("Patterns: figures") holds the
last report, between the markers <!-- BEGIN PATTERN FIGURES --> and <!-- END PATTERN FIGURES -->.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import dmpsim
from dmpsim import patterns
from dmpsim.model.params import CONTROL_PRESSURES, INDEPENDENT_KINDS, OUTPUT_PRESSURES, PRESSURE_TYPES

SEEDS = range(6)          # tests/test_patterns.py: SEEDS
LEVER_SEEDS = range(4)    # tests/test_patterns.py: commercialised_runs
ROOT = Path(__file__).resolve().parent.parent
COMMAND = "python benchmarks/patterns_report.py"


def _ok(flag: bool) -> str:
    return "pass" if flag else "FAIL"


def _revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes" if dirty else "")


def _row(label: str, values, fmt: str = "{:>7.3f}") -> str:
    return f"  {label:<22}" + "".join(fmt.format(v) for v in values)


def market(runs) -> list[str]:
    """Scale of the baseline market: contracts signed a year and organisations active at the end."""
    per_year = [r.summary["contracts_awarded"] / (r.steps / 12) for r in runs]
    return [
        "Market (baseline)",
        _row("seed", SEEDS, "{:>7}"),
        _row("contracts a year", per_year, "{:>7.1f}"),
        _row("independents at end", [r.summary["independents_active"] for r in runs], "{:>7}"),
        _row("integrity_mean", [r.summary["integrity_mean"] for r in runs]),
    ]


def pt1(runs) -> list[str]:
    shares = [patterns.pt1_negative_experiences(r.practitioners) for r in runs]
    careers = pd.concat([patterns.final_practitioners(r.practitioners) for r in runs])
    seasoned = careers[careers["won"] >= 3]
    pooled = float((seasoned["episodes_met"] > 0).mean())
    return [
        "PT1  Negative experiences outweigh positive",
        "     share of practitioners who led >= 3 processes and met >= 1 pressure episode",
        _row("seed", SEEDS, "{:>7}"),
        _row("share", shares),
        f"  min {min(shares):.3f} (test >= 0.60: {_ok(min(shares) >= 0.6)}); "
        f"mean {np.mean(shares):.3f} (test >= 0.80: {_ok(np.mean(shares) >= 0.8)}); "
        f"pooled over {len(seasoned)} practitioners {pooled:.3f}",
    ]


def pt2(runs) -> list[str]:
    per_seed = pd.concat([patterns.pt2_pressure_frequencies(r.episodes) for r in runs], axis=1,
                         keys=range(len(runs)))
    per_seed = per_seed.reindex(list(PRESSURE_TYPES)).fillna(0).astype(int)
    counts = per_seed.sum(axis=1).sort_values(ascending=False)
    control = counts[list(CONTROL_PRESSURES)].sort_values()
    lines = [
        "PT2  Time and resources the most frequent pressure; among control attempts experts and",
        "     information the most frequent, report content and outcome the rarest (episodes by type)",
        f"  {'type':<22}" + "".join(f"{s:>7}" for s in SEEDS) + f"{'pooled':>8}{'share':>7}",
    ]
    for kind in counts.index:
        lines.append(f"  {kind:<22}" + "".join(f"{per_seed.loc[kind, s]:>7}" for s in range(len(runs)))
                     + f"{counts[kind]:>8}{counts[kind] / counts.sum():>7.3f}")
    top_each = [patterns.pt2_pressure_frequencies(r.episodes).idxmax() for r in runs]
    lines += [
        f"  most frequent overall: {counts.idxmax()} ({_ok(counts.idxmax() == 'time_resources')}); "
        f"most frequent control: {control.idxmax()} ({_ok(control.idxmax() == 'experts_information')})",
        f"  two rarest control: {', '.join(control.index[:2])} "
        f"({_ok(set(control.index[:2]) == set(OUTPUT_PRESSURES))}); "
        f"time_resources first in every seed: {_ok(all(t == 'time_resources' for t in top_each))}",
    ]
    return lines


def pt3(runs) -> list[str]:
    figures = pd.DataFrame([patterns.pt3_walking_away(r.practitioners) for r in runs])
    careers = pd.concat([patterns.final_practitioners(r.practitioners) for r in runs])
    pooled = patterns.pt3_walking_away(careers)
    minority = figures["ever_withdrew"] + figures["ever_threatened"]
    lines = [
        "PT3  Walking away is rare (practitioners who led >= 3 processes, whole careers)",
        _row("seed", SEEDS, "{:>7}") + f"{'pooled':>8}",
    ]
    for col in figures.columns:
        lines.append(_row(col, figures[col]) + f"{pooled[col]:>8.3f}")
    lines += [
        _row("withdrew+threatened", minority),
        f"  min never_withdrew {figures['never_withdrew'].min():.3f} "
        f"(test >= 0.80: {_ok(figures['never_withdrew'].min() >= 0.8)}); "
        f"withdrew+threatened mean {minority.mean():.3f} (test > 0: {_ok(minority.mean() > 0)}), "
        f"max {minority.max():.3f} (test <= 0.40: {_ok(minority.max() <= 0.4)})",
    ]
    return lines


def pt4(runs) -> list[str]:
    pooled = pd.concat([r.episodes.assign(run=i) for i, r in enumerate(runs)], ignore_index=True)
    contracts = pd.concat([r.contracts.assign(run=i) for i, r in enumerate(runs)], ignore_index=True)
    pooled["contract"] = pooled["run"] * 1_000_000 + pooled["contract"]
    contracts["contract"] = contracts["run"] * 1_000_000 + contracts["contract"]
    shares = patterns.pt4_established_responses(pooled, contracts)
    per_seed = [patterns.pt4_established_responses(r.episodes, r.contracts) for r in runs]
    n_seed = [_pt4_count(r.episodes, r.contracts) for r in runs]
    responses = ["comply", "negotiate", "push_back", "threaten", "withdraw"]
    lines = [
        "PT4  Established independents (experience >= 10, reputation >= 0.6 at award) pressed on",
        "     report content or outcome: shares of first responses",
        _row("seed", SEEDS, "{:>7}") + f"{'pooled':>8}",
        _row("episodes", n_seed, "{:>7}") + f"{sum(n_seed):>8}",
    ]
    for resp in responses:
        lines.append(_row(resp, [s.get(resp, 0.0) for s in per_seed]) + f"{shares.get(resp, 0.0):>8.3f}")
    resist = shares.get("push_back", 0.0) + shares.get("threaten", 0.0) + shares.get("negotiate", 0.0)
    lines.append(
        f"  pooled comply {shares.get('comply', 0.0):.3f} (test <= 0.10: "
        f"{_ok(shares.get('comply', 0.0) <= 0.10)}); pooled negotiate+push back+threaten "
        f"{resist:.3f} (test >= 0.85: {_ok(resist >= 0.85)})")
    return lines


def _pt4_count(episodes: pd.DataFrame, contracts: pd.DataFrame) -> int:
    at_award = contracts[["contract", "experience", "reputation"]]
    pressed = episodes[episodes["type"].isin(OUTPUT_PRESSURES)].merge(at_award, on="contract")
    return int((pressed["practitioner_kind"].isin(INDEPENDENT_KINDS)
                & (pressed["experience"] >= 10.0) & (pressed["reputation"] >= 0.6)).sum())


def pt5(runs) -> list[str]:
    slopes = [patterns.pt5_learning(r.contracts) for r in runs]
    pooled = pd.concat([r.contracts.assign(practitioner=r.contracts["practitioner"] + 1_000_000 * i)
                        for i, r in enumerate(runs)], ignore_index=True)
    return [
        "PT5  Practitioners learn: mean within-practitioner slope of pressure episodes per contract",
        "     against experience at award (episodes per 10 processes; practitioners with >= 6 contracts)",
        _row("seed", SEEDS, "{:>7}"),
        _row("slope", slopes, "{:>7.3f}"),
        f"  mean {np.mean(slopes):.3f} (test < 0: {_ok(np.mean(slopes) < 0)}); negative in "
        f"{sum(s < 0 for s in slopes)} of {len(slopes)} seeds (test >= 5: "
        f"{_ok(sum(s < 0 for s in slopes) >= 5)}); pooled over all practitioners "
        f"{patterns.pt5_learning(pooled):.3f}",
    ]


def levers() -> list[str]:
    runs = {name: [dmpsim.run(name, seed=s) for s in LEVER_SEEDS]
            for name in ("large_firm_entry", "price_only_tender")}
    episodes = pd.concat([r.episodes for r in runs["price_only_tender"]])
    control = episodes[episodes["type"].isin(CONTROL_PRESSURES)]
    comply = control.groupby("practitioner_kind")["response"].apply(lambda s: (s == "comply").mean())
    n = control["practitioner_kind"].value_counts()
    lines = [
        f"Lever contrasts (seeds {LEVER_SEEDS.start}-{LEVER_SEEDS.stop - 1})",
        "  price_only_tender: share of control-pressure episodes met by complying, by lead's kind",
    ]
    for kind in comply.index:
        lines.append(f"    {kind:<24}{comply[kind]:>7.3f}   ({n[kind]} episodes)")
    lf = comply.get("large_firm", float("nan"))
    lines.append(
        f"  large firms > 2 x non-profits: {_ok(lf > 2 * comply.get('independent_nonprofit', 1))}; "
        f"> 2 x commercial independents: {_ok(lf > 2 * comply.get('independent_commercial', 1))}")
    lines.append(f"  {'summary key':<22}{'scenario':<20}" + "".join(f"{s:>9}" for s in LEVER_SEEDS)
                 + f"{'mean':>9}")
    means = {}
    for key in ("large_firm_share", "field_experience", "integrity_mean"):
        for name, rs in runs.items():
            vals = [r.summary[key] for r in rs]
            means[name, key] = float(np.mean(vals))
            lines.append(f"  {key:<22}{name:<20}" + "".join(f"{v:>9.3f}" for v in vals)
                         + f"{means[name, key]:>9.3f}")
    po, lf_ = "price_only_tender", "large_firm_entry"
    lines.append(
        f"  price-only: large firms' share higher {_ok(means[po, 'large_firm_share'] > means[lf_, 'large_firm_share'])}, "
        f"field experience lower {_ok(means[po, 'field_experience'] < means[lf_, 'field_experience'])}, "
        f"integrity lower {_ok(means[po, 'integrity_mean'] < means[lf_, 'integrity_mean'])}")
    return lines


def report() -> str:
    runs = [dmpsim.run("baseline", seed=s) for s in SEEDS]
    header = [
        f"Pattern figures, baseline scenario, seeds {SEEDS.start}-{SEEDS.stop - 1} "
        "(measured as in tests/test_patterns.py)",
        f"date {_dt.date.today().isoformat()}; dmpsim {dmpsim.__version__}; git {_revision()}",
        f"command: {COMMAND}",
    ]
    blocks = [header, market(runs), pt1(runs), pt2(runs), pt3(runs), pt4(runs), pt5(runs),
              levers()]
    return "\n\n".join("\n".join(b) for b in blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-odd", action="store_true",
                        help="write the report into docs/ODD.md between its markers")
    args = parser.parse_args(argv)
    text = report()
    print(text)
    if args.update_odd:
        from dmpsim.docs import replace_block

        odd = ROOT / "docs" / "ODD.md"
        odd.write_text(replace_block(odd.read_text(encoding="utf-8"), "PATTERN FIGURES",
                                     "```text\n" + text + "\n```"), encoding="utf-8")
        print(f"updated {odd}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
