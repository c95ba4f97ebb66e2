"""docs/ODD.md stays true to the code.

- The generated sections (parameters, outputs) equal what `tools/odd_tables.py` renders now.
- Every parameter has a hand-written source row, every bundled scenario is described, every
  mechanism switch has a row in the knock-out table, the schedule of §3 is `DMPMarket.step`, and
  the pattern figures block is present.
- Every [P: "..."] quote is verbatim in the paper (when the paper is beside the repository).
- The equations of ODD §7 agree with the code: each is re-implemented here from the document and
  compared with the code's function at many points. If you change a rule, change ODD.md and the
  matching function below together.
"""

from __future__ import annotations

import inspect
import math
import random
import re
import unicodedata
from dataclasses import astuple
from types import SimpleNamespace

import numpy as np
import odd_tables as docs  # tools/ is put on the path by tests/conftest.py
import pytest
from support import ROOT, paper_text

from dmpsim.experiments.scenario import bundled_names
from dmpsim.model import (
    agents,
    completion,
    confidence,
    contract,
    demand,
    dynamics,
    pressure,
    procurement,
    response,
)
from dmpsim.model.market import DMPMarket
from dmpsim.model.params import CONTROL_PRESSURES, FLAT, MECHANISMS, PRESSURE_TYPES, SCHEMA

ODD = ROOT / "docs" / "ODD.md"


@pytest.fixture(scope="module")
def text() -> str:
    return ODD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def handwritten(text: str) -> str:
    """The document without its generated sections."""
    out = text
    for name in [*docs.GENERATED, "PATTERN FIGURES"]:
        out = docs.replace_block(out, name, "")
    return out


def _section(text: str, heading: str) -> str:
    """The text from a heading to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    body = text.split(f"\n{heading}", 1)[1]
    stop = re.search(rf"\n#{{1,{len(level)}}} ", body)
    return body[: stop.start()] if stop else body


def _rows(section: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")[1:-1]]
            for line in section.splitlines() if line.startswith("| ")]


# -- generated sections ------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(docs.GENERATED))
def test_generated_section_is_current(text, name):
    assert docs.between(text, name) == docs.GENERATED[name](), (
        f"docs/ODD.md section {name} is stale: run `python tools/odd_tables.py`")


def test_check_command_passes_on_the_document():
    assert docs.main(["--check"]) == 0


def test_check_command_fails_on_a_stale_copy_and_update_fixes_it(tmp_path, text):
    stale = tmp_path / "ODD.md"
    stale.write_text(docs.replace_block(text, "PARAMETERS", "old table"), encoding="utf-8")
    assert docs.main(["--check", "--path", str(stale)]) == 1
    assert docs.update_odd(stale) is True
    assert docs.main(["--check", "--path", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == text
    assert docs.update_odd(stale) is False


def test_replace_block_needs_exactly_one_pair_of_markers():
    with pytest.raises(ValueError):
        docs.replace_block("no markers here", "PARAMETERS", "x")
    twice = "<!-- BEGIN X -->\n<!-- END X -->\n<!-- BEGIN X -->\n<!-- END X -->"
    with pytest.raises(ValueError):
        docs.between(twice, "X")
    assert docs.between(docs.replace_block("a<!-- BEGIN X -->b<!-- END X -->c", "X", "new"), "X") == "new"


def test_parameter_table_lists_every_parameter_with_its_default():
    table = docs.parameter_table()
    for key, spec in FLAT.items():
        parts = key.split(".")
        if parts[0] in docs.KIND_SECTIONS:
            row = next(line for line in table.splitlines()
                       if line.startswith(f"| `{docs.shown_key(key)}` |"))
            column = 1 + docs.KIND_SECTIONS[parts[0]].index(parts[1])
            assert row.split(" | ")[column] == docs.format_default(spec), key
        else:
            assert f"| `{key}` | {docs.format_default(spec)} |" in table, key


def test_kind_tables_mark_traits_a_kind_does_not_have():
    table = docs.parameter_table()
    row = next(line for line in table.splitlines()
               if line.startswith("| `commissioner_kinds.<kind>.share` |"))
    kinds = docs.KIND_SECTIONS["commissioner_kinds"]
    cells = row.split(" | ")[1:1 + len(kinds)]
    for kind, cell in zip(kinds, cells, strict=True):
        has = "share" in SCHEMA["commissioner_kinds"][kind]
        assert (cell != "—") == has, kind


def test_outputs_table_lists_every_output():
    table = docs.outputs_table()
    for _, _, meanings in docs.OUTPUT_TABLES:
        for key in meanings:
            assert f"| `{key}` |" in table, key


# -- hand-written sections ---------------------------------------------------------------------

def test_every_parameter_has_a_hand_written_source(handwritten):
    sources = handwritten.split("### 8.1 Sources of the parameter values", 1)[1].split("\n## ", 1)[0]
    missing = [key for key in FLAT if f"| `{docs.shown_key(key)}` |" not in sources]
    assert not missing, f"no row in ODD §8.1 for: {missing}"
    documented = set(re.findall(r"^\| `([a-z_<>.]+)` \|", sources, flags=re.M))
    known = {docs.shown_key(k) for k in FLAT}
    assert documented <= known, f"ODD §8.1 documents unknown parameters: {documented - known}"


def test_every_parameter_key_appears_in_the_document(text):
    for key in FLAT:
        parts = key.split(".")
        assert docs.shown_key(key) in text, key
        if parts[0] in docs.KIND_SECTIONS:
            assert f"`{parts[1]}`" in text, key


def test_every_bundled_scenario_is_described(handwritten):
    names = bundled_names()
    assert names, "no bundled scenarios found"
    section = handwritten.split("## 11. Scenarios", 1)[1].split("\n## ", 1)[0]
    for name in names:
        assert f"| `{name}` |" in section, f"scenario {name} has no row in ODD §11"


def test_every_mechanism_switch_is_in_the_knockout_table(handwritten):
    rows = {r[0].strip("`"): r for r in _rows(_section(handwritten, "### 7.12 Knock-out switches"))
            if r[0].startswith("`")}
    assert set(rows) == set(MECHANISMS), set(rows) ^ set(MECHANISMS)
    for name, (number, _) in MECHANISMS.items():
        assert rows[name][1] == number, name


def test_mechanism_table_of_section_1_names_every_mechanism_and_its_switch(handwritten):
    purpose = _section(handwritten, "## 1. Purpose and patterns")
    rows = {r[0]: r for r in _rows(purpose) if re.fullmatch(r"M\d+", r[0])}
    assert sorted(rows, key=lambda m: int(m[1:])) == [f"M{i}" for i in range(1, 25)]
    for number, row in rows.items():
        switches = set(re.findall(r"`([a-z_]+)`", row[-1]))
        expected = {name for name, (n, _) in MECHANISMS.items() if n == number}
        assert switches == expected, number
        assert re.search(r"§7\.\d+|§[25]", row[-2]), f"{number}: no ODD section where it acts"
    assert "M2" not in {n for n, _ in MECHANISMS.values()}


def test_patterns_table_lists_pt1_to_pt10(handwritten):
    purpose = _section(handwritten, "## 1. Purpose and patterns")
    names = [r[0] for r in _rows(purpose) if re.fullmatch(r"PT\d+", r[0])]
    assert names == [f"PT{i}" for i in range(1, 11)]


def test_schedule_of_section_3_is_the_step_method(handwritten):
    """One row per call of `DMPMarket.step`, in order, with the § of its comment in the code."""
    source = inspect.getsource(DMPMarket.step)
    calls = re.findall(r"self\.(\w+)\([^)]*\)\s*#\s*(§[\d.\-]+)", source)
    assert len(calls) == len(re.findall(r"self\.\w+\(", source)), "a call of step() has no § comment"
    table = _rows(_section(handwritten, "## 3. Process overview and scheduling"))
    documented = [(r[1].strip("`").split("(")[0], r[2].replace("–", "-")) for r in table
                  if r[0].isdigit()]
    assert documented == [(name, sec) for name, sec in calls]


def test_pattern_figures_were_pasted_with_command_and_date(text):
    block = docs.between(text, "PATTERN FIGURES")
    assert "command: python benchmarks/patterns_report.py" in block
    assert re.search(r"date \d{4}-\d{2}-\d{2}", block)
    for pattern in [f"PT{i}" for i in range(1, 11)]:
        assert re.search(rf"^{pattern} ", block, flags=re.M), pattern


def test_the_document_cites_nothing_outside_the_repository(handwritten):
    assert "MODEL.md" not in handwritten
    assert "/work/" not in handwritten


def _normalise(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = s.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."}))
    s = re.sub(r"<sup>\d+</sup>", "", s)
    return re.sub(r"\s+", " ", s).strip().lower()


def test_paper_quotes_are_verbatim(text):
    paper = paper_text()
    if paper is None:
        pytest.skip("the source paper is not beside the repository")
    body = _normalise(paper)
    quotes = [q for block in re.findall(r"\[P: (.*?)\]", text, flags=re.S)
              for q in re.findall(r'"([^"]+)"', block)]
    assert len(quotes) > 40
    wrong = [q for q in quotes
             if not all(_normalise(part) in body for part in re.split(r"\.\.\.|…", q) if part.strip())]
    assert not wrong, f"not verbatim in the paper: {wrong}"


# -- the equations of ODD §7 against the code -------------------------------------------------

def _d(key):
    return FLAT[key].default


def _sec(name: str, rng: random.Random, **fixed) -> SimpleNamespace:
    """A parameter section with every float drawn at random in its range (capped at 3)."""
    values = {}
    for key, spec in FLAT.items():
        section, _, field = key.partition(".")
        if section != name or "." in field:
            continue
        if spec.type is float:
            lo = -1.0 if spec.lo is None else spec.lo
            hi = 3.0 if spec.hi is None else min(spec.hi, 3.0)
            values[field] = rng.uniform(lo, hi)
        elif spec.type is bool:
            values[field] = rng.random() < 0.5
        else:
            values[field] = spec.default
    values.update(fixed)
    return SimpleNamespace(**values)


def _mech(rng: random.Random) -> SimpleNamespace:
    return SimpleNamespace(**{name: rng.random() < 0.5 for name in MECHANISMS})


def odd_pressure(kind, b, S, A, delta, h, tau, w, a, T, clarity, separate, pp, gov, mech):
    """ODD §7.3: the drive D_k and P_k = 1 - exp(-b max(0, D_k))."""
    if kind == "time_resources":
        drive = (0.6 + 0.6 * A + pp.budget_squeeze * max(0.0, 1 - a)) * ((1 - pp.clarity_effect) if clarity else 1)
    elif kind == "stakeholder":
        drive = 0.5 + 1.5 * S
    else:
        w = w if mech.participation_wash else 0.0
        d0 = {"method": 0.3 + 0.8 * S + 0.6 * A + 0.8 * w,
              "experts_information": 0.3 + 1.0 * S + 0.8 * A + 0.5 * delta,
              "secrecy": 0.2 + 1.6 * (1 - tau) + 0.6 * A,
              "report_content": (0.15 + 4.0 * delta * S + 0.6 * A) * ((1 + pp.commitment_effect) if gov.upfront_commitment else 1),
              "outcome": (0.15 + 4.0 * delta * S + 0.6 * A) * ((1 + pp.commitment_effect) if gov.upfront_commitment else 1),
              }[kind]
        c, eP = gov.participant_control, pp.participant_effect
        phi = {"experts_information": 1 - eP * c, "report_content": 1 - eP * c,
               "outcome": 1 - 0.5 * eP * c}.get(kind, 1.0) if mech.participant_control else 1.0
        psi = (1 - pp.mandate_effect) if kind == "secrecy" and gov.transparency_mandate else 1.0
        drive = (d0 * (1 + pp.honesty_effect * (1 - h)) * (1 - pp.trust_effect * T)
                 * ((1 - pp.funder_effect) if separate and mech.funder_separation else 1)
                 * ((1 - pp.oversight_effect) if gov.oversight_board else 1)
                 * phi * psi * ((1 - pp.clarity_effect) if clarity else 1))
    return 1 - math.exp(-b * max(0.0, drive))


def test_pressure_equations_match_the_code():
    rng = random.Random(1)
    for _ in range(600):
        kind = rng.choice(PRESSURE_TYPES)
        S, A, delta, h, tau, w, a, T = (rng.random() for _ in range(8))
        clarity, separate = rng.random() < 0.5, rng.random() < 0.5
        pp, gov, mech = _sec("pressure", rng), _sec("governance", rng), _mech(rng)
        b = rng.uniform(0, 2)
        situation = pressure.Situation(stakes=S, anxiety=A, desire=delta, honesty=h, transparency=tau,
                                       wash=w, adequacy=a, trust=T, clarity=clarity,
                                       funded_elsewhere=separate)
        code = pressure.pressure_chance(kind, b, situation, pp, gov, mech)
        doc = odd_pressure(kind, b, S, A, delta, h, tau, w, a, T, clarity, separate, pp, gov, mech)
        assert code == pytest.approx(doc, abs=1e-12), kind
        # Heading off (§7.3): P_off = P pi rho*; the episode chance is P (1 - pi rho*).
        skill, pre_empt = rng.random(), rng.random()
        assert pressure.heads_off(code, skill, pre_empt) == pytest.approx(code * pre_empt * skill)
        # Up-front clarity (§7.2).
        E, c_max = rng.uniform(0, 10), rng.random()
        assert pressure.clarity_chance(skill, h, E, c_max) == pytest.approx(
            min(1, c_max * skill * (0.4 + 0.6 * h) + 0.05 * min(E, 4)))


def test_response_and_reply_equations_match_the_code():
    rng = random.Random(2)
    for _ in range(400):
        sigma, v, lev, dep, k, sec, risk = (rng.random() for _ in range(7))
        rp = _sec("response", rng, temperature=rng.uniform(0.05, 2))
        x = rng.random()
        wI, wL, wD, cT, cW = (rp.integrity_weight, rp.leverage_weight, rp.dependence_weight,
                              rp.threaten_cost, rp.withdraw_cost)
        doc = (
            (1 - v) + wD * dep - wI * v * sigma - 0.5 * k - risk,
            0.2 + 0.5 * k,
            wI * v * (sigma - 0.5) + wL * (lev - 0.5) - wD * dep,
            1.5 * wI * v * (sigma - 0.7) + wL * (lev - 0.5) - 1.5 * wD * dep - cT,
            2 * wI * v * (sigma - 0.8) + (sec - 0.5) - 2 * wD * dep - cW * x,
        )
        standing = response.Standing(sigma, v, lev, dep, k, sec, risk)
        code = response.response_utilities(standing, rp, x)
        assert code == pytest.approx(doc)
        assert response.response_utilities(standing, rp)[4] == pytest.approx(doc[4] + cW * x - cW)
        z = sum(math.exp(u / rp.temperature) for u in doc)
        probs = response.choice_probabilities(code, rp.temperature)
        assert probs == pytest.approx([math.exp(u / rp.temperature) / z for u in doc])
        # After insistence: walk out with P'_w / (P'_c + P'_w), else concede.
        u = rng.random()
        walk = u >= probs[0] / (probs[0] + probs[4])
        assert response.after_insistence(probs, u) == ("withdraw" if walk else "concede")
        # After escalation: comply, push back and withdraw renormalised.
        kept = [probs[0], probs[2], probs[4]]
        cum = np.cumsum(kept) / sum(kept)
        expected = ("concede", "hold", "withdraw")[min(2, int(np.searchsorted(cum, u, side="right")))]
        assert response.after_escalation(probs, u) == expected
        # The discovery a pressed practitioner expects (§7.4).
        dp = _sec("discovery", rng)
        trans = rng.random()
        mandate, board, publication = (rng.random() < 0.5 for _ in range(3))
        pi = 0.0 if not publication else 1.0 if mandate else trans
        D_pub = min(1.0, dp.base + dp.transparency * trans + dp.oversight * board)
        D_not = min(1.0, dp.base + dp.oversight * board)
        assert completion.expected_discovery(trans, mandate, board, dp, publication=publication) == (
            pytest.approx(pi * D_pub + (1 - pi) * D_not))
        # The commissioner's reply (§7.4).
        R, S, delta = rng.random(), rng.random(), rng.random()
        threat, board = rng.random() < 0.5, rng.random() < 0.5
        y = (rp.back_down_base + rp.back_down_leverage * (0.5 * R + 0.5 * k - 0.5)
             - rp.back_down_stakes * (0.5 * S + 0.5 * delta - 0.3) + 0.8 * threat + 0.7 * board)
        assert response.back_down_chance(R, k, S, delta, threat, board, rp) == pytest.approx(
            1 / (1 + math.exp(-y)))


def test_procurement_equations_match_the_code():
    rng = random.Random(3)
    for _ in range(300):
        H, h, rho, xi = rng.random(), rng.random(), rng.random(), rng.gauss(0, 0.3)
        s = h + (1 - h) * 0.6 * rho
        assert procurement.perceived_hazard(H, h, rho, xi) == pytest.approx(
            s * H + (1 - s) * 0.15 + xi * (1 - rho))
        sc = _sec("screening", rng)
        sec, M = rng.random(), rng.random()
        perceived = rng.uniform(-0.2, 1.2)
        assert procurement.will_bid(perceived, sec, M, sc) == (
            sc.avoid_trust <= M and perceived <= sc.decline_threshold + sc.need_lowers_bar * (1 - sec))
        N, beta, mu, psi, e = (rng.uniform(10, 300), rng.uniform(0.3, 3), rng.uniform(-0.5, 2),
                               rng.random(), rng.uniform(0.8, 1.2))
        for rule in ("price", "quality", "direct", "consortium"):
            assert procurement.bid_price(N, N * beta, mu, rule, psi, e) == pytest.approx(
                min(N * beta, N * max(0.1, 1 + mu - (psi if rule == "price" else 0)) * e))
        bid = procurement.Bid(None, rng.uniform(10, 300), rng.random(), rng.random(), 0.0, rng.gauss(0, 0.1))
        lowest, wp, we, wr = rng.uniform(1, bid.price), rng.random(), rng.random(), rng.random()
        assert procurement.quality_score(bid, lowest, weight_price=wp, weight_experience=we,
                                         weight_reputation=wr) == pytest.approx(
            wp * lowest / bid.price + we * bid.craft + wr * bid.reputation + bid.judgement)


def test_completion_and_field_equations_match_the_code():
    rng = random.Random(4)
    for _ in range(300):
        # Follow-through (§7.7).
        m, integrity, u = rng.random(), rng.random(), rng.random()
        upfront = rng.random() < 0.5
        resolve = m + 0.3 * upfront
        p_impl = min(1, 0.8 * resolve * (0.4 + 0.6 * integrity))
        p_part = min(1 - p_impl, 0.35)
        expected = 1.0 if u < p_impl else 0.5 if u < p_impl + p_part else 0.0
        assert confidence.follow_through(m, integrity, upfront, u) == expected
        # Craft floor, damage, integrity score and discovery (§7.5-7.6).
        k, cw = rng.random(), rng.random()
        assert completion.craft_floor(k, cw) == pytest.approx(1 - cw * (1 - k))
        ip = _sec("integrity", rng)
        stake = rng.random()
        for outcome in ("complied", "conceded"):
            assert completion.damage(outcome, stake, ip) == pytest.approx(ip.damage_comply * stake)
        assert completion.damage("settled", stake, ip) == pytest.approx(ip.damage_settle * stake)
        assert completion.damage("upheld", stake, ip) == completion.damage("withdrawn", stake, ip) == 0.0
        dims = {d: rng.random() for d in ("independence", "authorship", "transparency", "adequacy",
                                         "representativeness")}
        assert completion.integrity_score(dims) == pytest.approx(math.prod(dims.values()) ** (1 / 5))
        dims["authorship"] = 0.0
        assert completion.integrity_score(dims) == 0.0
        dp = _sec("discovery", rng)
        tau, pub, board = rng.random(), rng.random() < 0.5, rng.random() < 0.5
        assert completion.discovery_chance(pub, tau, board, dp) == pytest.approx(
            min(1, dp.base + dp.transparency * tau * pub + dp.oversight * board))
        # Public confidence (§7.8).
        conf, rate = rng.random(), rng.random()
        signals = [rng.random() for _ in range(3)]
        weights = [rng.uniform(0, 5) for _ in range(3)]
        mean = sum(s * w for s, w in zip(signals, weights, strict=True)) / sum(weights)
        assert confidence.confidence_step(conf, signals, weights, rate) == pytest.approx(
            min(1, max(0, conf + rate * (mean - conf))))
        assert confidence.confidence_step(conf, [], [], rate) == conf
        # The field, finances, staff, exit and entry (§7.6, §7.9).
        o, chi, lam = rng.random(), rng.random(), rng.uniform(0, 2)
        assert dynamics.sharing(o, chi, lam) == pytest.approx(o * max(0, 1 - lam * chi))
        pool, seen, alpha = rng.uniform(0, 50), rng.uniform(0, 50), rng.random()
        assert dynamics.absorb(pool, seen, alpha) == pytest.approx(max(0, pool - seen) * alpha / 12)
        turnover = rng.random()
        assert dynamics.retained(turnover) == pytest.approx(math.exp(-turnover / 12))
        reserves, cap = rng.uniform(-100, 500), rng.uniform(0, 300)
        assert dynamics.paid_out(reserves, cap) == pytest.approx(max(0.0, reserves - cap))
        r_e, unmet = rng.random(), rng.randrange(0, 20)
        assert dynamics.entry_chance(r_e, unmet) == pytest.approx(1 - (1 - r_e) ** unmet)
        months, limit, load = rng.randrange(0, 10), rng.randrange(1, 10), rng.randrange(0, 3)
        assert dynamics.should_exit(months, limit, load) == (months >= limit and load == 0)


def test_demand_equations_match_the_code_on_arrays():
    rng = np.random.default_rng(5)
    for _ in range(50):
        n = 40
        good = rng.random(n)
        bad = rng.random(n) * (1 - good)
        p_B, q_B = rng.uniform(0, 0.2), rng.uniform(0, 2)
        assert demand.adoption_chance(p_B, q_B, good) == pytest.approx(
            1 - np.exp(-(p_B + q_B * good) / 12))
        r, C, C0, eps, omega = (rng.random(), rng.random(), rng.random(), rng.uniform(0, 3),
                                rng.uniform(0, 3))
        net = good - bad
        expected = np.clip(r * (max(C, 1e-6) / max(C0, 1e-6)) ** eps * (1 + omega * np.maximum(-1, net)), 0, 1)
        assert demand.commission_chance(r, C, C0, eps, omega, net) == pytest.approx(expected)


def test_stakes_and_phases_match_the_document(text):
    table = text.split("### 7.3 Pressure", 1)[1].split("```math", 1)[0]
    for kind, phase in contract.PHASE_OF_PRESSURE.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{kind}` |"))
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert cells[1].split()[0] == str(phase), kind
        assert float(cells[2]) == contract.STAKE[kind], kind
        assert cells[3] == ", ".join(contract.DIMENSION_OF_PRESSURE[kind]), kind
        assert cells[4] == ("yes" if kind in CONTROL_PRESSURES else "no"), kind


def test_phase_timing_matches_the_document():
    for d in range(4, 30):
        c = contract.Contract(id=0, commissioner=None, lead=None, level="local", award_step=7,
                              duration=d, price=1.0, need=1.0, funded_by_commissioner=True,
                              rule="quality")
        for t in range(7, 7 + d):
            assert c.phase_at(t) == min(3, 4 * (t - 7) // d)
        assert {c.phase_at(t) for t in range(7, 7 + d)} == {0, 1, 2, 3}


@pytest.fixture(scope="module")
def model():
    m = DMPMarket(rng=0)
    for _ in range(36):
        m.step()
    return m


def test_derived_state_matches_the_document(model):
    x_s, l_s, a_s = (_d("integrity.experience_scale"), _d("learning.lesson_scale"),
                     _d("commissioners.anxiety_scale"))
    rng = random.Random(6)
    for p in model.practitioners[:20]:
        assert p.craft(x_s) == pytest.approx(1 - math.exp(-p.experience / x_s))
        assert p.red_flag_skill(l_s) == pytest.approx(1 - math.exp(-(p.lessons + p.pool_seen) / l_s))
        V = max(0.0, p.reserves) + 12 * (p.safety_net_funding + p.other_income)
        assert p.cover == pytest.approx(V)
        assert p.security == pytest.approx(min(1, V / (12 * p.overhead)) if p.overhead > 0 else 1.0)
        for s in (0.0, rng.uniform(1, 500)):
            assert p.dependence(s) == pytest.approx(max(p.government_dependence, s / (s + V) if s > 0 else 0.0))
        assert p.reliant == (p.safety_net_funding <= 0 and p.other_income <= 0)
    for j in model.commissioners[:30]:
        A = j.stakes * math.exp(-j.experience / a_s)
        assert j.anxiety(a_s) == pytest.approx(A)
        for wash, secrecy in ((True, True), (False, True), (True, False)):
            assert j.hazard(A, show_wash=wash, show_secrecy=secrecy) == pytest.approx(
                min(1, 0.30 * j.stakes + 0.20 * A + 0.25 * j.desire + 0.15 * j.wash * wash
                    + 0.10 * (1 - j.transparency) * secrecy + 0.15 * max(0, 1 - j.budget_adequacy)))
    assert agents.UNKNOWN_TRUST == 0.3


def _doc_standing(m, c, kind):
    """ODD §7.4: the standing of the team in a dispute over a pressure of this kind."""
    rp, gov, mech = m.p.response, m.p.governance, m.mech
    team = [x for x in (c.lead, c.partner) if x is not None]
    v = max(x.values for x in team)
    k = max(x.craft(m.p.integrity.experience_scale) for x in team)
    R = max(x.reputation for x in team) if mech.reputation else 0.5
    s = c.price * (rp.future_work + (1.0 if c.funded_by_commissioner or not mech.funder_separation else 0.0))
    if mech.income_reliance:
        dep, sec = c.lead.dependence(s), c.lead.security
    else:
        dep, sec = c.lead.government_dependence, 1.0
    risk = 0.0
    if kind in CONTROL_PRESSURES and mech.reputation:
        risk = rp.discovery_weight * R * completion.expected_discovery(
            c.commissioner.transparency, gov.transparency_mandate, gov.oversight_board, m.p.discovery,
            publication=mech.publication)
    return response.Standing(contract.STAKE[kind], v, (R + k + sec) / 3, dep, k, sec, risk)


@pytest.mark.parametrize("overrides", [
    {},
    {"governance.separate_funder_share": 0.5},
    {"governance.separate_funder_share": 0.5, "mechanisms.funder_separation": False,
     "mechanisms.income_reliance": False, "mechanisms.reputation": False},
    {"governance.transparency_mandate": True, "mechanisms.publication": False},
])
def test_standing_matches_the_document(overrides):
    m = DMPMarket(overrides, rng=1)
    seen = 0
    for _ in range(24):
        m.step()
        for c in m.active_contracts:
            for kind in PRESSURE_TYPES:
                standing, reputation, craft = m._standing(c, kind)
                doc = _doc_standing(m, c, kind)
                assert astuple(standing) == pytest.approx(astuple(doc)), kind
                assert reputation == pytest.approx(doc.leverage * 3 - doc.craft - doc.security)
                assert craft == pytest.approx(doc.craft)
                seen += 1
    assert seen > 0


def test_delivery_costs_and_finances_match_the_document(model):
    """§7.6: each month a contract runs its lead pays delivery_cost_share x min(p, N) / d; §7.9:
    reserves never stay above the cap after the month's finances."""
    share = model.p.market.delivery_cost_share
    expected = 0.0
    for c in model.all_contracts:
        last = c.end_step if c.end_step is not None else model.steps
        expected += (last - c.award_step + 1) * share * min(c.price, c.need) / c.duration
    assert model.ledger["delivery_costs"] == pytest.approx(expected)
    for p in model.practitioners:
        if p.active:
            assert p.reserves <= p.reserve_cap + 1e-9
