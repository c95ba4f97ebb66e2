"""The report of a calibration (`dmpsim calibrate`): what was calibrated, the priors, how the
targets are met, the generations, which parameters the targets pin down and which they leave
open, the ensemble, the figures and how to reproduce it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...io.provenance import versions
from ...model.params import FLAT
from ...viz.calibration import FIGURES, caption
from ..abc import CONSTRAINED_BELOW, LABELS, WEAKLY_CONSTRAINED_BELOW, effective_sample_size
from ..results import CalibrationResult
from .document import Report, fmt_number, frame_for_report, versions_line

__all__ = ["build_report", "constraint_sentence"]

METHODS = {"rejection": "rejection ABC", "smc": "ABC-SMC (pyabc)"}


# -- small pieces ---------------------------------------------------------------------------

def _join(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _value_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value)
    return str(value)


def _setting(key: str, value: Any) -> str:
    if value is None:
        return f"`{key}` not set" + (" (keep the draws meeting every target)"
                                     if key == "keep" else "")
    return f"`{key}` = {_value_text(value)}"


def _share(value: Any) -> str:
    """A share (0-1) for a table: three decimals, an en dash when missing."""
    return fmt_number(value, scale=1.0)


def _labels(result: CalibrationResult) -> dict[str, list[str]]:
    table = result.constraints
    out: dict[str, list[str]] = {label: [] for label in LABELS}
    if table is None or "label" not in table.columns:
        return out
    for _, row in table.iterrows():
        out.setdefault(str(row["label"]), []).append(str(row["parameter"]))
    return out


def constraint_sentence(result: CalibrationResult) -> str:
    """One plain sentence: which parameters the targets constrain and which they leave open."""
    labels = _labels(result)
    strong, weak, open_ = labels[LABELS[0]], labels[LABELS[1]], labels[LABELS[2]]
    if not (strong or weak or open_):
        return ("No draw was accepted, so what the targets constrain cannot be told."
                if labels[LABELS[3]] else "There are no calibrated parameters.")
    if strong and weak:
        first = f"The targets constrain {_join(strong)}, and weakly constrain {_join(weak)}"
    elif strong:
        first = f"The targets constrain {_join(strong)}"
    elif weak:
        first = f"The targets only weakly constrain {_join(weak)}"
    else:
        first = "The targets constrain none of the parameters"
    if open_ and not (strong or weak):
        return f"{first}: they leave {'all' if len(open_) > 1 else 'it'} open ({_join(open_)})."
    return f"{first}; they leave {_join(open_) + ' open' if open_ else 'none open'}."


def _form(prior: dict[str, Any]) -> str:
    """A prior's form in words."""
    kind = str(prior.get("form") or prior.get("kind") or "")
    dist = prior.get("distribution")
    if kind == "values" or ("values" in prior and not dist):
        return "list of values (equally likely)"
    if dist == "normal":
        return f"normal (mean {_value_text(prior.get('mean'))}, sd {_value_text(prior.get('sd'))}), truncated"
    if dist == "triangular":
        return f"triangular (mode {_value_text(prior.get('mode'))})"
    if dist:
        return str(dist)
    if kind == "range":
        whole = prior.get("type") == "int"
        return "uniform" + (" (whole numbers)" if whole else "")
    return kind or "–"


def _bounds(prior: dict[str, Any]) -> str:
    if "values" in prior and not prior.get("distribution"):
        return _value_text(prior["values"])
    lo, hi = prior.get("lo"), prior.get("hi")
    if lo is None and hi is None and isinstance(prior.get("range"), list | tuple):
        lo, hi = prior["range"]
    if lo is None and hi is None:
        return "–"
    return f"[{_value_text(lo)}, {_value_text(hi)}]"


def _unit(key: str) -> str:
    p = FLAT.get(key)
    return (p.unit or "–") if p is not None else "–"


def _quantiles(x: np.ndarray, w: np.ndarray, q: list[float]) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cumulative = np.cumsum(w)
    return np.interp(q, (cumulative - w / 2) / cumulative[-1], x)


def _spread(values: pd.Series, weights: np.ndarray) -> str:
    """Median [5%, 95%] of numbers, or the commonest category and its share."""
    if len(values) == 0:
        return "–"
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        shares: dict[Any, float] = {}
        for v, w in zip(values.tolist(), weights, strict=True):
            shares[v] = shares.get(v, 0.0) + float(w)
        total = sum(shares.values()) or 1.0
        ranked = sorted(shares.items(), key=lambda kv: -kv[1])[:3]
        return "; ".join(f"{_value_text(v)} {s / total:.0%}" for v, s in ranked)
    x = pd.to_numeric(values, errors="coerce").to_numpy(float)
    keep = np.isfinite(x)
    if not keep.any():
        return "–"
    q5, q50, q95 = _quantiles(x[keep], weights[keep], [0.05, 0.5, 0.95])
    scale = float(np.nanmax(np.abs(x[keep]))) or 1.0
    return (f"{fmt_number(q50, scale)} [{fmt_number(q5, scale)}, "
            f"{fmt_number(q95, scale)}]")


def _generation_column(frame: pd.DataFrame) -> str:
    return "generation" if "generation" in frame.columns else "t"


# -- the report -----------------------------------------------------------------------------

def build_report(result: CalibrationResult, figures: list[Path],
                 found: dict[str, str] | None = None) -> Report:
    """The report of `result`; `figures` are the files `dmpsim.viz.calibration.draw_figures`
    wrote (PNG ones are shown); `found` the versions to state (default: those installed)."""
    r = result
    if found is None:
        found = versions("scipy", "matplotlib", "pyarrow", *(["pyabc"] if r.method == "smc"
                                                             else []))
    method = METHODS.get(r.method, r.method)
    weights = r.weights()
    members = len(r.ensemble)
    ess = effective_sample_size(weights)
    empty = members == 0
    report = Report(f"Calibration: {r.name}")

    labels = _labels(r)
    runs = (f"{r.replications} run{'s' if r.replications != 1 else ''} of {r.steps} months "
            "each")
    if r.method == "rejection":
        done = f"{len(r.prior):,} draws from the prior, {runs}"
    else:
        done = f"{len(r.generations)} generation{'s' if len(r.generations) != 1 else ''}, " \
               f"each particle {runs}"
    lead = (f"{r.description}. " if r.description else "") + (
        f"{len(r.keys)} parameter{'s' if len(r.keys) != 1 else ''} calibrated by {method} on "
        f"{len(r.target_summary)} target{'s' if len(r.target_summary) != 1 else ''}, from base "
        f"scenario **{r.scenario.name}** ({done}). ")
    if empty:
        lead += "**No draw met the targets: the ensemble is empty.**"
    else:
        lead += (f"**{members} accepted parameter set{'s' if members != 1 else ''}** "
                 f"(effective sample size {ess:.1f}). " + constraint_sentence(r))
    report.paragraph(lead)
    if empty:
        report.note(_empty_advice(r))

    # -- what was calibrated
    report.heading("What was calibrated")
    settings = [_setting(k, v) for k, v in r.settings.items() if k != "scales"]
    report.bullets([
        f"Calibration file: `{r.source}`",
        f"Base scenario: **{r.scenario.name}**" + (
            f" (`{Path(r.scenario.source).name}`)" if r.scenario.source.endswith(".toml")
            else "") + ": every parameter not calibrated takes its value from it.",
        f"Method: {method}" + (f"; settings: {'; '.join(settings)}" if settings else ""),
        f"Seed: {r.seed}",
        f"Replications: {r.replications} per parameter draw; a draw's outputs are the mean over "
        "its replications.",
        f"Steps: {r.steps} months ({r.steps / 12:g} years) per run.",
    ])
    report.paragraph("The command that made it:")
    report.code(r.command or "(not recorded)")

    # -- priors
    report.heading("The priors")
    report.paragraph("Each calibrated parameter is drawn from its prior; every other parameter "
                     "keeps the base scenario's value.")
    report.table(pd.DataFrame({
        "Parameter": [f"`{p.get('key', '')}`" for p in r.priors],
        "Form": [_form(p) for p in r.priors],
        "Bounds or values": [_bounds(p) for p in r.priors],
        "Unit": [_unit(str(p.get("key", ""))) for p in r.priors],
    }, columns=["Parameter", "Form", "Bounds or values", "Unit"]))

    # -- targets
    report.heading("The targets and how they are met")
    ts = r.target_summary
    no_prior = ("prior_met_share" not in ts.columns
                or not pd.to_numeric(ts["prior_met_share"], errors="coerce").notna().any())
    report.bullets([
        "**Prior meeting it**: the share of the prior's draws (all draws run) whose outputs "
        "meet the target: how demanding it is" + (
            " (not known here: ABC-SMC does not run draws from the prior itself)."
            if no_prior else "."),
        "**Ensemble meeting it**: the (weighted) share of the accepted parameter sets that "
        "meet it: how often it is met.",
        "**Mean discrepancy**: how far, on average over the ensemble, the output is from "
        "meeting the target, in the output's own units (0: always met): how closely it is met.",
        "**Mean output**: the ensemble's (weighted) mean of the output the target reads (none "
        "for an order of several outputs).",
    ])
    table = ts.assign(**{c: ts[c] if c in ts.columns else np.nan
                         for c in ("prior_met_share", "met_share", "mean_discrepancy",
                                   "mean_output", "description", "scale")})
    report.table(frame_for_report(table, {
        "target": "Target", "description": "Description",
        "prior_met_share": "Prior meeting it (0-1)", "met_share": "Ensemble meeting it (0-1)",
        "mean_discrepancy": "Mean discrepancy", "mean_output": "Mean output",
        "scale": "Scale"},
        {"prior_met_share": _share, "met_share": _share}))
    report.paragraph(
        "**Scale**: the spread of the target's output over the "
        + ("prior's draws" if r.method == "rejection" else "pilot draws from the prior")
        + " (a robust standard deviation); a discrepancy is divided by it before the "
        "discrepancies of all targets are combined into one distance.")

    # -- generations
    report.heading("The generations")
    g = r.generations
    if r.method == "rejection":
        report.paragraph(
            "Rejection has one generation: every draw from the prior is simulated and kept "
            "when its distance from the targets is at most the tolerance (epsilon); a distance "
            "of 0 means every target is met. Kept draws weigh alike.")
    else:
        report.paragraph(
            "Each generation proposes particles near the last one's and keeps those within its "
            "threshold epsilon (the median distance of the last generation), until epsilon "
            "reaches the minimum or the generations run out. The **acceptance rate** is the "
            "share of a generation's simulations accepted; the **ESS** (effective sample size, "
            "Kish's (sum w)^2 / sum w^2) says how many equally weighted draws its weighted "
            "particles are worth.")
    if len(g):
        gen = _generation_column(g)
        shown = g.assign(**{c: g[c] if c in g.columns else np.nan
                            for c in ("epsilon", "simulations", "accepted", "acceptance_rate",
                                      "ess", "met_share", "distance_q10", "distance_q50",
                                      "distance_q90")})
        shown = shown.assign(
            distance_text=[f"{fmt_number(q50)} [{fmt_number(q10)}, {fmt_number(q90)}]"
                           for q10, q50, q90 in zip(shown["distance_q10"], shown["distance_q50"],
                                                    shown["distance_q90"], strict=True)])
        report.table(frame_for_report(shown, {
            gen: "Generation", "epsilon": "Epsilon", "simulations": "Simulations",
            "accepted": "Accepted", "acceptance_rate": "Acceptance rate", "ess": "ESS",
            "met_share": "Meeting every target (0-1)",
            "distance_text": "Distance: median [10%, 90%]"},
            {"acceptance_rate": _share, "met_share": _share,
             "ess": lambda v: fmt_number(v, scale=10.0)}))
    else:
        report.paragraph("No generation was recorded.")

    # -- constraints
    report.heading("What the targets pin down and what they leave open")
    report.paragraph(
        "For each parameter, the spread of the accepted ensemble against the prior's, both "
        "measured in unit space (each draw's position in its prior, from 0 to 1), so that "
        "parameters of any units, shape or type compare alike. The **range ratio** is the "
        "width of the ensemble's central 90% over the prior's: 1 means the targets leave the "
        f"parameter as uncertain as before. Below {CONSTRAINED_BELOW:g} it is labelled "
        f"**constrained**, below {WEAKLY_CONSTRAINED_BELOW:g} **weakly constrained**, "
        "otherwise **left open**. These cut-offs are a convention, not a statistical test; "
        "with few accepted draws the ratios are themselves uncertain.")
    c = r.constraints
    if len(c):
        report.table(frame_for_report(c.assign(parameter=[f"`{p}`" for p in c["parameter"]]), {
            "parameter": "Parameter", "prior_range90": "Prior 90% range (unit)",
            "posterior_range90": "Ensemble 90% range (unit)", "range_ratio": "Range ratio",
            "sd_ratio": "SD ratio", "label": "Label"},
            {c_: (lambda v: fmt_number(v, scale=1.0)) for c_ in
             ("prior_range90", "posterior_range90", "range_ratio", "sd_ratio")}))
    report.paragraph(constraint_sentence(r))
    if labels[LABELS[2]] and not empty:
        report.paragraph(
            "A parameter left open is one the targets cannot tell apart over its prior: "
            "results that depend on it rest on the prior, not on the patterns.")

    # -- ensemble
    report.heading("The ensemble")
    where = f"`{r.out}`" if r.out is not None else "this folder"
    if empty:
        report.paragraph("The ensemble is empty: no draw was accepted, so there is nothing "
                         "for `dmpsim compare --ensemble` to use.")
    else:
        report.paragraph(
            f"The ensemble holds **{members} parameter set{'s' if members != 1 else ''}** "
            f"(members) with weights summing to 1; its effective sample size is {ess:.1f}"
            + (" (equal weights: the number of members)." if r.method == "rejection" else
               " (importance weights from ABC-SMC).")
            + f" It is in ensemble.parquet in {where}. `dmpsim compare SCENARIO... --ensemble "
            f"{r.out if r.out is not None else 'DIR'}` runs every scenario once per member "
            "(replication k takes member k and seed k; weighted members are first resampled "
            "to equal weights), so that scenario differences are judged across the parameter "
            "values the targets allow.")
        rows = []
        for key in r.keys:
            prior = r.prior[key] if key in r.prior.columns else pd.Series([], dtype=float)
            ensemble = r.ensemble[key] if key in r.ensemble.columns else pd.Series([], dtype=float)
            rows.append({"Parameter": f"`{key}`", "Unit": _unit(key),
                         "Prior": _spread(prior, np.ones(len(prior))),
                         "Ensemble": _spread(ensemble, weights)})
        report.table(pd.DataFrame(rows, columns=["Parameter", "Unit", "Prior", "Ensemble"]),
                     "Median [5%, 95%] in the parameter's units (categories: the commonest, "
                     "with their shares); the ensemble weighted")

    # -- figures
    pngs = [Path(p) for p in figures if Path(p).suffix.lower() == ".png"]
    if pngs:
        report.heading("Figures")
        order = {stem: i for i, stem in enumerate(FIGURES)}
        for path in sorted(pngs, key=lambda p: (order.get(p.stem, len(order)), p.stem)):
            report.figure(path, caption(path.stem, r.method))

    # -- notes
    if r.notes:
        report.heading("Notes")
        for note in r.notes:
            report.note(note)

    # -- reproducing
    report.heading("Reproducing this calibration")
    report.bullets([
        f"Command: `{r.command}`" if r.command else "Command: not recorded.",
        f"Seed {r.seed}: it fixes the prior's draws and each draw's runs"
        + (" (ABC-SMC with a parallel sampler is not bit-identical between runs: which "
           "particles finish first depends on timing)." if r.method == "smc" else "."),
        f"Versions: {versions_line(found)}.",
    ])
    return report


def _empty_advice(r: CalibrationResult) -> str:
    draws = r.settings.get("draws")
    more = (f"more draws (`draws = {int(draws) * 4:,}` instead of {int(draws):,})"
            if isinstance(draws, int | np.integer) and not isinstance(draws, bool)
            else "more draws")
    if r.method == "rejection":
        return ("**No draw met every target**, so nothing was accepted and the figures show "
                "the prior alone. Either keep the closest draws instead, with `keep = 0.05` "
                "(the closest 5%) in the calibration file's `[rejection]` table, or try "
                f"{more}, or loosen the targets that the prior rarely meets (the targets "
                "table shows how often each is met).")
    return ("**No particle was accepted**, so the ensemble is empty. Try a larger population "
            "or more generations, or loosen the targets that the prior rarely meets.")
