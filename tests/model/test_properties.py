"""Property-based tests over random valid scenarios (hypothesis).

Each example is a short run (24-72 months) of a small market whose parameters are drawn within
their bounds in `dmpsim.params.FLAT`. The properties are accounting and bookkeeping invariants
that must hold whatever the parameters: money is conserved, shares stay in [0, 1], counts are not
negative, capacity is never exceeded, exited organisations never win, and a seed fixes a run.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import dmpsim
from dmpsim.experiments import tables as metrics
from dmpsim.model.params import DIMENSIONS, FLAT, INDEPENDENT_KINDS, PRESSURE_TYPES

PROPS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def within(key: str, lo: float | None = None, hi: float | None = None):
    """A value for `key` inside its bounds in FLAT, narrowed to [lo, hi] to keep runs short."""
    spec = FLAT[key]
    if spec.choices:
        return st.sampled_from(spec.choices)
    if spec.type is bool:
        return st.booleans()
    low = spec.lo if lo is None else max(lo, spec.lo if spec.lo is not None else lo)
    high = spec.hi if hi is None else min(hi, spec.hi if spec.hi is not None else hi)
    assert low is not None and high is not None, key
    if spec.type is int:
        return st.integers(int(low), int(high))
    return st.floats(float(low), float(high), allow_nan=False, allow_infinity=False)


def scenario_strategy():
    keys = {
        "procurement.rule": within("procurement.rule"),
        "procurement.direct_trust": within("procurement.direct_trust"),
        "procurement.weight_price": within("procurement.weight_price"),
        "procurement.subcontract_rate": within("procurement.subcontract_rate"),
        "procurement.price_shading": within("procurement.price_shading"),
        "market.n_commissioners": within("market.n_commissioners", 10, 80),
        # Level shares are drawn so that they never sum over 1.
        "market.share_local": within("market.share_local", 0.0, 0.5),
        "market.share_regional": within("market.share_regional", 0.0, 0.3),
        "market.share_national": within("market.share_national", 0.0, 0.2),
        "commissioners.commission_rate": within("commissioners.commission_rate", 0.01, 0.15),
        "commissioners.budget_adequacy": within("commissioners.budget_adequacy", 0.3, 2.0),
        "commissioners.honesty": within("commissioners.honesty"),
        "commissioners.desire_for_outcome": within("commissioners.desire_for_outcome"),
        "commissioners.duration": within("commissioners.duration", 4, 12),
        "commissioners.response_delay": within("commissioners.response_delay", 0, 12),
        "governance.separate_funder_share": within("governance.separate_funder_share"),
        "governance.transparency_mandate": within("governance.transparency_mandate"),
        "governance.oversight_board": within("governance.oversight_board"),
        "governance.participant_control": within("governance.participant_control"),
        "governance.upfront_commitment": within("governance.upfront_commitment"),
        "governance.capacity_building": within("governance.capacity_building", 0, 5),
        "large_firms.enabled": within("large_firms.enabled"),
        "large_firms.entry_step": within("large_firms.entry_step", 0, 30),
        "large_firms.bid_rate": within("large_firms.bid_rate"),
        "practitioners.large_firm.count": within("practitioners.large_firm.count", 1, 3),
        "practitioners.independent_nonprofit.count":
            within("practitioners.independent_nonprofit.count", 1, 6),
        "practitioners.independent_commercial.count":
            within("practitioners.independent_commercial.count", 0, 5),
        "practitioners.freelancer.count": within("practitioners.freelancer.count", 0, 4),
        "practitioners.independent_nonprofit.safety_net_share":
            within("practitioners.independent_nonprofit.safety_net_share"),
        "practitioners.independent_commercial.reserves_months":
            within("practitioners.independent_commercial.reserves_months", 0, 12),
        "practitioners.freelancer.reserves_months":
            within("practitioners.freelancer.reserves_months", 0, 12),
        "dynamics.exit_months": within("dynamics.exit_months", 1, 12),
        "dynamics.entry_rate": within("dynamics.entry_rate"),
        "response.temperature": within("response.temperature", 0.05, 2.0),
        "response.integrity_weight": within("response.integrity_weight", 0, 5),
        "response.dependence_weight": within("response.dependence_weight", 0, 5),
        "response.withdraw_cost": within("response.withdraw_cost", 0, 3),
        "response.escalate_share": within("response.escalate_share"),
        "discovery.base": within("discovery.base"),
        "confidence.rate": within("confidence.rate"),
        "commissioners.trust_rate": within("commissioners.trust_rate"),
        "learning.reputation_rate": within("learning.reputation_rate"),
        "discovery.reputation_hit": within("discovery.reputation_hit"),
        "integrity.damage_comply": within("integrity.damage_comply"),
        **{f"pressure.{k}": within(f"pressure.{k}", 0, 3) for k in PRESSURE_TYPES},
    }
    return st.fixed_dictionaries(keys)


seeds = st.integers(0, 2**16)
steps = st.integers(24, 72)


def run(values: dict, seed: int, n_steps: int) -> dmpsim.RunResult:
    return dmpsim.run("baseline", seed=seed, steps=n_steps, overrides=values)


def team(contract) -> list:
    return [m for m in (contract.lead, contract.partner, contract.freelancer) if m is not None]


# -- money ------------------------------------------------------------------------------------

@PROPS
@given(values=scenario_strategy(), seed=seeds, n_steps=steps)
def test_money_is_conserved(values, seed, n_steps):
    market = run(values, seed, n_steps).market
    ledger = market.ledger
    paid = ledger["paid_by_commissioners"] + ledger["paid_by_funders"]
    assert paid == pytest.approx(ledger["received_by_practitioners"], rel=1e-9, abs=1e-6)
    change = sum(p.reserves - p.initial_reserves for p in market.practitioners)
    expected = (paid + ledger["grants"] + ledger["other_income"] - ledger["overheads"]
                - ledger["delivery_costs"] - ledger["paid_out"])
    assert change == pytest.approx(expected, rel=1e-9, abs=1e-6)
    # What each practitioner earned from processes adds up to what the payers paid.
    income = sum(p.income for p in market.practitioners)
    assert income == pytest.approx(paid, rel=1e-9, abs=1e-6)
    # Every completed contract is paid what it cost less what was withheld.
    done = [c for c in market.all_contracts if c.status == "completed"]
    assert paid == pytest.approx(sum(c.price - c.withheld for c in done), rel=1e-9, abs=1e-6)
    assert all(0.0 <= c.withheld <= c.price for c in market.all_contracts)


# -- shares, scores and counts ----------------------------------------------------------------

SUMMARY_SHARES = ("integrity_mean", "integrity_final5", "pressure_rate", "comply_rate",
                  "negotiate_rate", "pushback_rate", "withdraw_rate", "escalation_rate",
                  "large_firm_share", "large_firm_share_final5", "independent_share",
                  "public_confidence", "implementation_rate", "hhi_final")
SUMMARY_COUNTS = ("field_experience", "independents_active", "large_firms_active",
                  "contracts_awarded", "contracts_completed", "contracts_withdrawn", "declines",
                  "scandals", "exits", "entries", "episodes_per_contract")
MODEL_SHARES = ("integrity", "pressure_share", "public_confidence", "hhi", "implementation",
                "commissioning_rate")
CONTRACT_SHARES = ("integrity", *DIMENSIONS, "resources", "reputation")
PRACTITIONER_SHARES = ("reputation", "values", "red_flag_skill")


def assert_unit(values, what: str) -> None:
    bad = [v for v in values if not (isinstance(v, float) and math.isnan(v)) and not 0.0 <= v <= 1.0]
    assert not bad, f"{what} outside [0, 1]: {bad[:5]}"


def model_share_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c in MODEL_SHARES or c.startswith("share_value_")]


@PROPS
@given(values=scenario_strategy(), seed=seeds, n_steps=steps)
def test_shares_and_scores_stay_in_unit_interval(values, seed, n_steps):
    result = run(values, seed, n_steps)
    market = result.market
    for key in SUMMARY_SHARES:
        assert_unit([result.summary[key]], f"summary {key}")
    assert_unit([market.confidence], "public_confidence")
    for col in CONTRACT_SHARES:
        assert_unit(result.contracts[col].tolist(), f"contracts.{col}")
    completed = result.contracts[result.contracts["status"] == "completed"]
    assert not completed[["integrity", *DIMENSIONS]].isna().any().any()
    for col in PRACTITIONER_SHARES:
        assert_unit(result.practitioners[col].tolist(), f"practitioners.{col}")
    for col in model_share_columns(result.model):
        assert_unit(result.model[col].tolist(), f"model.{col}")
    pr = market.p
    for p in market.practitioners:
        assert_unit([p.reputation, p.red_flag_skill(pr.learning.lesson_scale), p.values,
                     p.openness, p.craft(pr.integrity.experience_scale), p.security,
                     p.dependence(0.0), p.dependence(100.0), p.dependence(1e6)],
                    f"practitioner {p.unique_id}")
        assert_unit(list(p.memory.values()), f"practitioner {p.unique_id} memory")
    for body in market.commissioners:
        assert_unit(list(body.trust.values()), f"commissioner {body.unique_id} trust")
        anxiety = body.anxiety(pr.commissioners.anxiety_scale)
        assert_unit([body.hazard(anxiety), anxiety], f"commissioner {body.unique_id}")


MODEL_COUNTS = ("tenders", "contracts_awarded", "unmet_tenders", "contracts_completed",
                "contracts_withdrawn", "declines", "exits", "entries", "scandals",
                "field_experience", "field_lessons_pool")


@PROPS
@given(values=scenario_strategy(), seed=seeds, n_steps=steps)
def test_counts_are_never_negative_and_add_up(values, seed, n_steps):
    result = run(values, seed, n_steps)
    df, s = result.model, result.summary
    counts = [c for c in df.columns if c in MODEL_COUNTS
              or c.startswith(("episodes_", "response_", "awarded_", "active_"))]
    assert len(counts) >= len(MODEL_COUNTS) + 2 * len(PRESSURE_TYPES)
    negative = {c: df[c].min() for c in counts if df[c].min() < 0}
    assert not negative
    for key in SUMMARY_COUNTS:
        # Episodes per contract is NaN when no contract ended; the others are always numbers.
        assert s[key] >= 0 or (key == "episodes_per_contract" and math.isnan(s[key])), key
    assert len(df) == n_steps
    # The summary and the tables tell the same story.
    assert s["contracts_awarded"] == df["contracts_awarded"].sum() == len(result.market.all_contracts)
    assert s["contracts_completed"] == df["contracts_completed"].sum()
    assert s["contracts_withdrawn"] == df["contracts_withdrawn"].sum()
    assert s["exits"] == df["exits"].sum()
    assert s["entries"] == df["entries"].sum()
    assert df["tenders"].sum() == df["contracts_awarded"].sum() + df["unmet_tenders"].sum()
    episode_cols = [f"episodes_{k}" for k in PRESSURE_TYPES]
    assert df[episode_cols].to_numpy().sum() == len(result.episodes)
    assert result.contracts["n_episodes"].sum() <= len(result.episodes)
    assert (s["independents_active"] + s["large_firms_active"]
            == df.iloc[-1][[c for c in df.columns if c.startswith("active_")]].sum())


# -- capacity and exits -----------------------------------------------------------------------

def exit_prone():
    """Scenarios where organisations run out of money, so that exits and entries happen."""
    return scenario_strategy().map(lambda v: {
        **v,
        "practitioners.independent_commercial.reserves_months": 1.0,
        "practitioners.independent_commercial.other_income": 0.0,
        "practitioners.freelancer.reserves_months": 1.0,
        "practitioners.freelancer.other_income": 0.0,
        "practitioners.independent_nonprofit.other_income": 0.0,
        "practitioners.independent_nonprofit.reserves_months": 2.0,
        "dynamics.exit_months": 2,
        "dynamics.entry_rate": 0.3,
    })


@PROPS
@given(values=exit_prone(), seed=seeds, n_steps=steps)
def test_capacity_is_never_exceeded(values, seed, n_steps):
    market = dmpsim.DMPMarket(values, rng=seed)
    for _ in range(n_steps):
        market.step()
        running = set()
        for p in market.practitioners:
            assert p.load <= p.capacity, (market.steps, p.kind, p.load, p.capacity)
            assert len(set(map(id, p.contracts))) == p.load
            if not p.active:
                assert p.load == 0
            running.update(id(c) for c in p.contracts)
        assert running == {id(c) for c in market.active_contracts}
        for c in market.active_contracts:
            assert all(c in m.contracts for m in team(c))
            assert len({id(m) for m in team(c)}) == len(team(c))
        busy = sum(1 for body in market.commissioners if body.busy)
        assert busy == len(market.active_contracts)


@PROPS
@given(values=exit_prone(), seed=seeds, n_steps=steps)
def test_exited_organisations_never_win(values, seed, n_steps):
    """Every member of every contract was active when the contract was signed.

    Within a month, tenders are settled before finances, so an organisation may win a contract,
    walk away from it in its first phase and exit in the same month: `award_step` may equal
    `exited_step`, but no contract may be signed or still be running after its exit.
    """
    market = dmpsim.DMPMarket(values, rng=seed)
    for _ in range(n_steps):
        active_before = {p.unique_id for p in market.practitioners if p.active}
        signed_before = len(market.all_contracts)
        market.step()
        for c in market.all_contracts[signed_before:]:
            assert c.award_step == market.steps
            for member in team(c):
                assert member.unique_id in active_before, (c.id, member.unique_id, market.steps)
    for c in market.all_contracts:
        for member in team(c):
            assert member.entered_step <= c.award_step
            if member.exited_step is not None:
                assert c.award_step <= member.exited_step, (c.id, member.unique_id)
                assert c.end_step is not None and c.end_step <= member.exited_step, (
                    c.id, member.unique_id, c.end_step, member.exited_step)


def test_ended_contracts_keep_no_delivery_draws():
    """A market keeps every contract for its tables: once a process has ended it holds neither
    the replies' generator nor its pressure chances (memory and garbage-collection time of a
    large market, issue 10), while running ones that met pressure still do."""
    market = dmpsim.DMPMarket(rng=5)
    for _ in range(60):
        market.step()
    ended = [c for c in market.all_contracts if c.status != "active"]
    assert ended and any(c.n_episodes for c in ended)
    assert all(c.chances is None and c._response_rng is None for c in ended)
    running = [c for c in market.active_contracts if c.n_episodes]
    assert running and all(c.chances is not None and c._response_rng is not None
                           for c in running)


def test_exit_property_is_not_vacuous():
    """The exit-prone scenarios do make organisations exit after winning work."""
    values = {
        "market.n_commissioners": 60,
        "commissioners.commission_rate": 0.02,
        "practitioners.independent_commercial.reserves_months": 1.0,
        "practitioners.independent_commercial.other_income": 0.0,
        "practitioners.freelancer.reserves_months": 1.0,
        "practitioners.freelancer.other_income": 0.0,
        "practitioners.independent_nonprofit.other_income": 0.0,
        "practitioners.independent_nonprofit.reserves_months": 2.0,
        "dynamics.exit_months": 2,
        "dynamics.entry_rate": 0.3,
    }
    market = run(values, 3, 60).market
    exited = [p for p in market.practitioners if p.exited_step is not None]
    assert market.exits == len(exited) > 0
    assert any(p.won > 0 for p in exited)
    assert market.entries > 0


# -- reproducibility --------------------------------------------------------------------------

def assert_same_summary(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for key in a:
        x, y = a[key], b[key]
        assert x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)), key


@settings(PROPS, max_examples=12)
@given(values=scenario_strategy(), seed=seeds, n_steps=st.integers(24, 48))
def test_same_seed_same_run_and_other_seed_other_run(values, seed, n_steps):
    a = run(values, seed, n_steps)
    b = run(values, seed, n_steps)
    for name, table in a.tables().items():
        pd.testing.assert_frame_equal(table, b.tables()[name], obj=name)
    assert_same_summary(a.summary, b.summary)
    c = run(values, seed + 1, n_steps)
    assert not all(t.equals(c.tables()[name]) for name, t in a.tables().items())
    # Practitioners' traits are continuous draws: another seed gives another field.
    assert not a.practitioners.equals(c.practitioners)


def test_model_built_directly_matches_run():
    values = {"market.n_commissioners": 30, "procurement.rule": "consortium"}
    market = dmpsim.DMPMarket(values, rng=11)
    for _ in range(36):
        market.step()
    result = run(values, 11, 36)
    pd.testing.assert_frame_equal(result.model, metrics.model_table(market))
    pd.testing.assert_frame_equal(result.contracts, metrics.contracts_table(market))


# -- known bugs (src) -------------------------------------------------------------------------

@settings(PROPS, max_examples=10, phases=[Phase.explicit, Phase.generate])
@example(markup=-0.5, shading=1.0, seed=1)
@given(markup=within("practitioners.independent_commercial.markup"),
       shading=within("procurement.price_shading"), seed=seeds)
def test_prices_and_resources_stay_valid_over_the_whole_markup_and_shading_range(
        markup, shading, seed):
    values = {"procurement.rule": "price", "procurement.price_shading": shading,
              "market.n_commissioners": 40, "commissioners.commission_rate": 0.05,
              **{f"practitioners.{k}.markup": markup for k in INDEPENDENT_KINDS}}
    result = run(values, seed, 24)
    assert (result.contracts["price"] > 0).all()
    assert_unit(result.contracts["resources"].tolist(), "contracts.resources")
    for col in ("integrity", *DIMENSIONS):
        assert_unit(result.contracts[col].tolist(), f"contracts.{col}")


@settings(PROPS, max_examples=10, phases=[Phase.explicit, Phase.generate])
@example(max_bidders=1, firms=4, seed=0)
@given(max_bidders=within("procurement.max_bidders", 1, 8),
       firms=within("practitioners.large_firm.count", 0, 6), seed=seeds)
def test_lessons_pool_never_shrinks(max_bidders, firms, seed):
    values = {"procurement.max_bidders": max_bidders, "large_firms.enabled": firms > 0,
              "large_firms.entry_step": 0, "large_firms.bid_rate": 1.0,
              "practitioners.large_firm.count": firms, "market.n_commissioners": 80}
    pool = run(values, seed, 36).model["field_lessons_pool"]
    assert (pool >= 0).all()
    assert (pool.diff().dropna() >= -1e-12).all()
