"""The patterns of MODEL.md section 1 (PT1-PT5), measured on a run's tables.

Each function returns the figures a test or docs/ODD.md compares with the pattern; none of them
is an input to the model. They read tables only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model.params import CONTROL_PRESSURES, INDEPENDENT_KINDS, OUTPUT_PRESSURES


def final_practitioners(practitioners: pd.DataFrame) -> pd.DataFrame:
    """Each practitioner's last row: its whole career so far."""
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
    """PT5: mean within-practitioner slope of control-pressure episodes per contract against
    experience at award (episodes per ten processes of experience). Negative means learning.

    Within-practitioner slopes keep apart learning from who wins which contracts.
    """
    slopes = []
    for _, own in contracts.groupby("practitioner"):
        if len(own) < min_contracts or own["experience"].nunique() < 2:
            continue
        slope = np.polyfit(own["experience"] / 10.0, own["n_episodes"], 1)[0]
        slopes.append(slope)
    return float(np.mean(slopes)) if slopes else float("nan")


__all__ = ["pt1_negative_experiences", "pt2_pressure_frequencies", "pt3_walking_away",
           "pt4_established_responses", "pt5_learning", "CONTROL_PRESSURES"]
