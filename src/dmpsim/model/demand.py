"""Demand (ODD §7.1): who adopts mini-publics and who commissions one this month.

Pure functions over numpy arrays, so that one month's decisions for every commissioner are a few
array operations. The chances depend on a commissioner only through its level, so the market
works them out per level and hands each body its level's; it also draws the uniforms.
"""

from __future__ import annotations

import numpy as np


def adoption_chance(innovation: float, imitation: float, peers_good: np.ndarray) -> np.ndarray:
    """Monthly chance that a commissioner that does not yet use mini-publics starts to.

    The Bass (1969) diffusion model: adoption "without peers" at the innovation rate and "from
    peers" at the imitation rate times the share of bodies at its level whose last process went
    well — the "deliberative wave" of OECD (2020). Rates are yearly.
    """
    yearly = innovation + imitation * np.clip(peers_good, 0.0, 1.0)
    return 1.0 - np.exp(-yearly / 12.0)


def commission_chance(rate: float, confidence: float, reference_confidence: float,
                      elasticity: float, wave_strength: float,
                      peers_net_good: np.ndarray) -> np.ndarray:
    """Monthly chance that an adopting commissioner starts a process.

    Demand "grows with public confidence and with peers' good experiences ... and falls after
    scandals" (ODD §7.1): `peers_net_good` is the net share of bodies at the same level whose last
    process went well (good minus bad, in [-1, 1]); confidence enters with an elasticity.
    """
    ratio = max(confidence, 1e-6) / max(reference_confidence, 1e-6)
    chance = rate * ratio**elasticity * (1.0 + wave_strength * np.maximum(-1.0, peers_net_good))
    return np.clip(chance, 0.0, 1.0)
