"""The patterns of ODD §1 (PT1-PT10), measured on a run's tables.

Each function returns the figures a test or docs/ODD.md compares with the pattern; none of them
is an input to the model. They read tables only. `run_patterns` gives one figure per pattern for
one run, the form in which `dmpsim ablate` and `dmpsim compare` report them; PT8 and PT10 compare
scenarios or runs, so their per-run figures are the quantities compared.
"""

from __future__ import annotations

import pandas as pd

from ..model.params import CONTROL_PRESSURES, INDEPENDENT_KINDS, OUTPUT_PRESSURES


def final_practitioners(practitioners: pd.DataFrame) -> pd.DataFrame:
    """Each practitioner's last row: its whole career so far."""
    if practitioners.attrs.get("careers", False):
        return practitioners  # already one row per practitioner (see `pattern_figures`)
    return practitioners.sort_values("year").groupby("practitioner").tail(1)


def pt1_negative_experiences(practitioners: pd.DataFrame, several: int = 3) -> float:
    """PT1: share of practitioners who led `several`+ processes and met at least one pressure."""
    careers = final_practitioners(practitioners)
    seasoned = careers[careers["won"] >= several]
    return float((seasoned["episodes_met"] > 0).mean()) if len(seasoned) else float("nan")


def pt2_pressure_frequencies(episodes: pd.DataFrame) -> pd.Series:
    """PT2: episodes by type, most frequent first."""
    return episodes["type"].value_counts()


def pt3_walking_away(practitioners: pd.DataFrame, several: int = 3) -> dict[str, float]:
    """PT3: shares of seasoned practitioners who ever withdrew, threatened, or declined a tender."""
    careers = final_practitioners(practitioners)
    seasoned = careers[careers["won"] >= several]
    return {
        "never_withdrew": float((seasoned["withdrawals"] == 0).mean()),
        "ever_withdrew": float((seasoned["withdrawals"] > 0).mean()),
        "ever_threatened": float((seasoned["threats"] > 0).mean()),
        "ever_declined": float((seasoned["declines"] > 0).mean()),
    }


def pt4_established_responses(episodes: pd.DataFrame, contracts: pd.DataFrame,
                              min_experience: float = 10.0,
                              min_reputation: float = 0.6) -> pd.Series:
    """PT4: how established independents respond when pressed on outputs (report, outcome)."""
    at_award = contracts[["contract", "experience", "reputation"]]
    pressed = episodes[episodes["type"].isin(OUTPUT_PRESSURES)].merge(at_award, on="contract")
    established = pressed[
        pressed["practitioner_kind"].isin(INDEPENDENT_KINDS)
        & (pressed["experience"] >= min_experience)
        & (pressed["reputation"] >= min_reputation)
    ]
    return established["response"].value_counts(normalize=True)


def pt5_learning(contracts: pd.DataFrame, min_contracts: int = 6) -> float:
    """PT5: the within-practitioner (fixed-effects) slope of pressure episodes per contract
    against experience at award, in episodes per ten processes of experience. Negative means
    learning.

    Demeaning by practitioner keeps learning apart from who wins which contracts; pooling the
    demeaned points (rather than averaging each practitioner's own slope) keeps a practitioner
    whose experience hardly varied from dominating the figure.
    """
    # Practitioners with enough contracts at two or more levels of experience (a mask rather
    # than groupby().filter with a Python function per practitioner: same rows, same order).
    by_practitioner = contracts.groupby("practitioner")["experience"]
    own = contracts[(by_practitioner.transform("size") >= min_contracts)
                    & (by_practitioner.transform("nunique") >= 2)]
    if not len(own):
        return float("nan")
    x = own["experience"] / 10.0
    y = own["n_episodes"].astype(float)
    dx = x - x.groupby(own["practitioner"]).transform("mean")
    dy = y - y.groupby(own["practitioner"]).transform("mean")
    spread = float((dx * dx).sum())
    return float((dx * dy).sum() / spread) if spread > 0 else float("nan")


def pt6_reliance(episodes: pd.DataFrame, practitioners: pd.DataFrame) -> dict[str, float]:
    """PT6: independents living on commissioned income alone, against those with a funder or
    other income: the share of their episodes given in to, and the share of them that exited."""
    own = episodes[episodes["practitioner_kind"].isin(INDEPENDENT_KINDS)]
    given_in = own["outcome"].isin(("complied", "conceded"))
    careers = final_practitioners(practitioners)
    independents = careers[careers["kind"].isin(INDEPENDENT_KINDS)]
    exited = independents["exit_reason"].fillna("").astype(str) != ""

    def share(flags: pd.Series, mask: pd.Series) -> float:
        return float(flags[mask].mean()) if mask.any() else float("nan")

    return {
        "given_in_reliant": share(given_in, own["reliant"].astype(bool)),
        "given_in_secure": share(given_in, ~own["reliant"].astype(bool)),
        "exited_reliant": share(exited, independents["reliant"].astype(bool)),
        "exited_secure": share(exited, ~independents["reliant"].astype(bool)),
    }


def pt7_withdrawals_by_type(episodes: pd.DataFrame) -> pd.Series:
    """PT7: withdrawals from signed contracts by the pressure type that caused them."""
    return episodes.loc[episodes["outcome"] == "withdrawn", "type"].value_counts()


def pt9_trust_and_honesty(contracts: pd.DataFrame) -> dict[str, float]:
    """PT9: episodes per contract and integrity, for commissioners in the more and less honest
    halves, and for contracts where the commissioner already trusted the practitioner (trust at
    award at least 0.5, from work together) against the rest."""
    ended = contracts
    honest = ended["honesty"] >= ended["honesty"].median()
    trusted = ended["trust"] >= 0.5
    return {
        "episodes_honest": float(ended.loc[honest, "n_episodes"].mean()),
        "episodes_dishonest": float(ended.loc[~honest, "n_episodes"].mean()),
        "integrity_honest": float(ended.loc[honest, "integrity"].mean()),
        "integrity_dishonest": float(ended.loc[~honest, "integrity"].mean()),
        "episodes_trusted": float(ended.loc[trusted, "n_episodes"].mean()) if trusted.any() else float("nan"),
        "episodes_untrusted": float(ended.loc[~trusted, "n_episodes"].mean()) if (~trusted).any() else float("nan"),
    }


def pt10_wave(model: pd.DataFrame, window: int = 3) -> dict[str, float]:
    """PT10: the wave of commissioning, in yearly tenders averaged over `window` years: the peak
    window, the last window, and how far the last has fallen from the peak (0: still rising or
    at its peak). Windows smooth out a single lucky year."""
    full_years = model.groupby((model["step"] - 1) // 12)["tenders"].agg(["sum", "size"])
    yearly = full_years.loc[full_years["size"] == 12, "sum"].astype(float)
    smooth = yearly.rolling(window).mean().dropna()
    if not len(smooth):
        return {"peak": float("nan"), "last": float("nan"), "stall": float("nan"),
                "peak_year": float("nan")}
    peak, last = float(smooth.max()), float(smooth.iloc[-1])
    return {"peak": peak, "last": last, "stall": 1.0 - last / peak if peak else float("nan"),
            "peak_year": float(smooth.idxmax() + 1)}


PATTERN_FIGURES: dict[str, str] = {
    "PT1": "share of practitioners with 3+ contracts who met pressure (high: negative experiences outweigh)",
    "PT2": "share of pressure episodes that squeeze time and resources (the most frequent type)",
    "PT3": "share of practitioners with 3+ contracts who never withdrew (high: walking away is rare)",
    "PT4": "share of output pressure on established independents that they complied with (low)",
    "PT5": "within-practitioner slope of episodes per contract against experience, per 10 processes (negative: learning)",
    "PT6": "given-in rate of reliant independents minus that of independents with a safety net (positive)",
    "PT7": "share of withdrawals over method (at least any other single type's)",
    "PT8": "active independents at the end (fewer under price-only tenders with large firms)",
    "PT9": "episodes per contract with less honest commissioners minus with more honest ones (positive)",
    "PT10": "fall of the last three years' commissioning from its peak three years, as a share of the peak (a stalled wave)",
}
"""The one figure per pattern that `run_patterns` returns, and what it shows."""


def run_patterns(result) -> dict[str, float]:
    """One figure per pattern PT1-PT10 for one run (see `PATTERN_FIGURES`); the same figures
    are the last keys of the run's summary."""
    return {k: result.summary[k] for k in PATTERN_FIGURES}


def pattern_figures(episodes: pd.DataFrame, contracts: pd.DataFrame, practitioners: pd.DataFrame,
                    model: pd.DataFrame, independents_active: int) -> dict[str, float]:
    """The figures of `PATTERN_FIGURES`, from a run's tables."""
    nan = float("nan")
    # PT1, PT3 and PT6 read careers: each practitioner's last row, found once for the three.
    careers = final_practitioners(practitioners).copy()
    careers.attrs["careers"] = True
    practitioners = careers
    pt2 = episodes["type"].value_counts(normalize=True) if len(episodes) else pd.Series(dtype=float)
    pt4 = pt4_established_responses(episodes, contracts) if len(episodes) else pd.Series(dtype=float)
    pt6 = pt6_reliance(episodes, practitioners)
    withdrawals = pt7_withdrawals_by_type(episodes)
    pt9 = pt9_trust_and_honesty(contracts) if len(contracts) else {}
    return {
        "PT1": pt1_negative_experiences(practitioners),
        "PT2": float(pt2.get("time_resources", 0.0)) if len(pt2) else nan,
        "PT3": pt3_walking_away(practitioners)["never_withdrew"] if len(practitioners) else nan,
        "PT4": float(pt4.get("comply", 0.0)) if len(pt4) else nan,
        "PT5": pt5_learning(contracts),
        "PT6": pt6["given_in_reliant"] - pt6["given_in_secure"],
        "PT7": float(withdrawals.get("method", 0) / withdrawals.sum()) if withdrawals.sum() else nan,
        "PT8": float(independents_active),
        "PT9": pt9.get("episodes_dishonest", nan) - pt9.get("episodes_honest", nan),
        "PT10": pt10_wave(model)["stall"],
    }


__all__ = ["pt1_negative_experiences", "pt2_pressure_frequencies", "pt3_walking_away",
           "pt4_established_responses", "pt5_learning", "pt6_reliance", "pt7_withdrawals_by_type",
           "pt9_trust_and_honesty", "pt10_wave", "run_patterns", "pattern_figures", "PATTERN_FIGURES",
           "CONTROL_PRESSURES"]
