"""docs/ODD.md stays true to the code.

- The generated sections (parameters, outputs) equal what `dmpsim.docs` renders now.
- Every parameter has a hand-written source row, every bundled scenario is described, and the
  pattern figures block is present.
- Every [P: "..."] quote is verbatim in the paper (when the paper is beside the repository).
- The equations of ODD §7 agree with the code: each is re-implemented here from the document and
  compared with the code's function at many points. If you change a rule, change ODD.md and the
  matching function below together.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from pathlib import Path

import pytest

from dmpsim import contracts as C
from dmpsim import docs
from dmpsim import dynamics as D
from dmpsim import procurement as P
from dmpsim.params import FLAT, KINDS, SCHEMA
from dmpsim.scenario import bundled_names

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
PAPER = "parry-2023-integrity-challenges.txt"


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


# -- generated sections ------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(docs.GENERATED))
def test_generated_section_is_current(text, name):
    assert docs.between(text, name) == docs.GENERATED[name](), (
        f"docs/ODD.md section {name} is stale: run `python -m dmpsim.docs`")


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
        if parts[0] == "practitioners":
            row = next(line for line in table.splitlines()
                       if line.startswith(f"| `practitioners.<kind>.{parts[2]}` |"))
            column = 1 + KINDS.index(parts[1])
            assert row.split(" | ")[column] == docs.format_default(spec), key
        else:
            assert f"| `{key}` | {docs.format_default(spec)} |" in table, key


def test_outputs_table_lists_every_output():
    table = docs.outputs_table()
    for _, _, meanings in docs.OUTPUT_TABLES:
        for key in meanings:
            assert f"| `{key}` |" in table, key


# -- hand-written sections ---------------------------------------------------------------------

def test_every_parameter_has_a_hand_written_source(handwritten):
    sources = handwritten.split("### 8.1 Sources of the parameter values", 1)[1].split("\n## ", 1)[0]
    missing = []
    for key in FLAT:
        parts = key.split(".")
        shown = f"practitioners.{docs.KIND_PLACEHOLDER}.{parts[2]}" if parts[0] == "practitioners" else key
        if f"| `{shown}` |" not in sources:
            missing.append(key)
    assert not missing, f"no row in ODD §8.1 for: {missing}"
    documented = set(re.findall(r"^\| `([a-z_<>.]+)` \|", sources, flags=re.M))
    known = {k for k in FLAT if not k.startswith("practitioners.")}
    known |= {f"practitioners.{docs.KIND_PLACEHOLDER}.{t}" for t in SCHEMA["practitioners"][KINDS[0]]}
    assert documented <= known, f"ODD §8.1 documents unknown parameters: {documented - known}"


def test_every_parameter_key_appears_in_the_document(text):
    for key in FLAT:
        parts = key.split(".")
        if parts[0] == "practitioners":
            assert f"practitioners.{docs.KIND_PLACEHOLDER}.{parts[2]}" in text and f"`{parts[1]}`" in text, key
        else:
            assert key in text, key


def test_every_bundled_scenario_is_described(handwritten):
    names = bundled_names()
    assert names, "no bundled scenarios found"
    section = handwritten.split("## 11. Scenarios", 1)[1].split("\n## ", 1)[0]
    for name in names:
        assert f"| `{name}` |" in section, f"scenario {name} has no row in ODD §11"


def test_pattern_figures_were_pasted_with_command_and_date(text):
    block = docs.between(text, "PATTERN FIGURES")
    assert "command: python benchmarks/patterns_report.py" in block
    assert re.search(r"date \d{4}-\d{2}-\d{2}", block)
    for pattern in ("PT1", "PT2", "PT3", "PT4", "PT5", "Lever contrasts"):
        assert pattern in block


def _normalise(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = s.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "…": "..."}))
    s = re.sub(r"<sup>\d+</sup>", "", s)
    return re.sub(r"\s+", " ", s).strip().lower()


def _paper() -> str | None:
    for folder in (ROOT.parent / "shared" / "seed", Path("/work/shared/seed")):
        if (folder / PAPER).is_file():
            return (folder / PAPER).read_text(encoding="utf-8")
    return None


def test_paper_quotes_are_verbatim(text):
    paper = _paper()
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


def odd_pressure(kind, base, S, A, delta, h, tau, w, a, T, *, gamma, clarity, eC, eT, separate,
                 eF, c, eP, mandate, eM, board, eO):
    """ODD §7.3."""
    if kind == "time_resources":
        drive = (0.6 + 0.6 * A + gamma * max(0.0, 1 - a)) * ((1 - eC) if clarity else 1)
    elif kind == "stakeholder":
        drive = 0.5 + 1.5 * S
    else:
        d0 = {"method": 0.3 + 0.8 * S + 0.6 * A + 0.8 * w,
              "experts_information": 0.3 + 1.0 * S + 0.8 * A + 0.5 * delta,
              "secrecy": 0.2 + 1.6 * (1 - tau) + 0.6 * A,
              "report_content": 0.15 + 4.0 * delta * S + 0.6 * A,
              "outcome": 0.15 + 4.0 * delta * S + 0.6 * A}[kind]
        phi = {"experts_information": 1 - eP * c, "report_content": 1 - eP * c,
               "outcome": 1 - 0.5 * eP * c}.get(kind, 1.0)
        psi = (1 - eM) if kind == "secrecy" and mandate else 1.0
        drive = (d0 * (1 + 0.8 * (1 - h)) * (1 - eT * T) * ((1 - eF) if separate else 1)
                 * ((1 - eO) if board else 1) * phi * psi * ((1 - eC) if clarity else 1))
    return 1 - math.exp(-base * max(0.0, drive))


def test_pressure_equations_match_the_code():
    rng = random.Random(1)
    for _ in range(400):
        kind = rng.choice(list(C.PHASE_OF_PRESSURE))
        x = [rng.random() for _ in range(8)]
        flags = [rng.random() < 0.5 for _ in range(4)]
        effects = [rng.random() for _ in range(6)]
        base, gamma, c = rng.uniform(0, 2), rng.uniform(0, 4), rng.random()
        code = C.pressure_chance(
            kind, base, *x, budget_squeeze=gamma, clarity=flags[0], clarity_effect=effects[0],
            trust_effect=effects[1], funded_elsewhere=flags[1], funder_effect=effects[2],
            participant_control=c, participant_effect=effects[3], mandate=flags[2],
            mandate_effect=effects[4], oversight=flags[3], oversight_effect=effects[5])
        doc = odd_pressure(
            kind, base, *x, gamma=gamma, clarity=flags[0], eC=effects[0], eT=effects[1],
            separate=flags[1], eF=effects[2], c=c, eP=effects[3], mandate=flags[2], eM=effects[4],
            board=flags[3], eO=effects[5])
        assert code == pytest.approx(doc, abs=1e-12), kind


def test_response_and_reply_equations_match_the_code():
    rng = random.Random(2)
    for _ in range(300):
        sigma, v, lev, dep, k, sec = (rng.random() for _ in range(6))
        wI, wL, wD, cT, cW, rho = (rng.uniform(0, 3) for _ in range(6))
        doc = (
            (1 - v) + wD * dep - wI * v * sigma - 0.5 * k - rho,
            0.2 + 0.5 * k,
            wI * v * (sigma - 0.5) + wL * (lev - 0.5) - wD * dep,
            1.5 * wI * v * (sigma - 0.7) + wL * (lev - 0.5) - 1.5 * wD * dep - cT,
            2 * wI * v * (sigma - 0.8) + (sec - 0.5) - 2 * wD * dep - cW,
        )
        code = C.response_utilities(sigma, v, lev, dep, k, sec, integrity_weight=wI,
                                    leverage_weight=wL, dependence_weight=wD, threaten_cost=cT,
                                    withdraw_cost=cW, reputation_at_risk=rho)
        assert code == pytest.approx(doc)
        # The discovery a pressed practitioner expects (rho = w_R R D-hat).
        trans, b, wT, wO = (rng.random() for _ in range(4))
        mandate, board = rng.random() < 0.5, rng.random() < 0.5
        published = 1.0 if mandate else trans
        expected = (published * min(1.0, b + wT * trans + wO * board)
                    + (1 - published) * min(1.0, b + wO * board))
        assert C.expected_discovery(trans, mandate, board, base=b, transparency_weight=wT,
                                    oversight_weight=wO) == pytest.approx(expected)
        temp = rng.uniform(0.05, 2)
        z = sum(math.exp(u / temp) for u in doc)
        assert C.choice_probabilities(code, temp) == pytest.approx([math.exp(u / temp) / z for u in doc])
        R, S, delta, b0, bL, bS = (rng.random() for _ in range(6))
        threat, board = rng.random() < 0.5, rng.random() < 0.5
        x = b0 + bL * (0.5 * R + 0.5 * k - 0.5) - bS * (0.5 * S + 0.5 * delta - 0.3) + 0.8 * threat + 0.7 * board
        assert C.back_down_chance(R, k, S, delta, threat, board, base=b0, leverage_weight=bL,
                                  stakes_weight=bS) == pytest.approx(1 / (1 + math.exp(-x)))


def test_procurement_equations_match_the_code():
    rng = random.Random(3)
    for _ in range(300):
        H, h, rho, xi = rng.random(), rng.random(), rng.random(), rng.gauss(0, 0.3)
        s = h + (1 - h) * 0.6 * rho
        assert P.perceived_hazard(H, h, rho, xi) == pytest.approx(s * H + (1 - s) * 0.15 + xi * (1 - rho))
        sec, M, theta, lam, avoid = (rng.random() for _ in range(5))
        perceived = rng.uniform(-0.2, 1.2)
        assert P.will_bid(perceived, sec, M, threshold=theta, need_lowers_bar=lam, avoid_trust=avoid) == (
            avoid <= M and perceived <= theta + lam * (1 - sec))
        N, beta, mu, psi, e = rng.uniform(10, 300), rng.uniform(0.3, 3), rng.uniform(-0.5, 2), rng.random(), rng.uniform(0.8, 1.2)
        for rule in ("price", "quality"):
            assert P.bid_price(N, N * beta, mu, rule, psi, e) == pytest.approx(
                min(N * beta, N * max(0.1, 1 + mu - (psi if rule == "price" else 0)) * e))
        bid = P.Bid(None, rng.uniform(10, 300), rng.random(), rng.random(), 0.0, rng.gauss(0, 0.1))
        lowest, wp, we, wr = rng.uniform(1, bid.price), rng.random(), rng.random(), rng.random()
        assert P.quality_score(bid, lowest, weight_price=wp, weight_experience=we, weight_reputation=wr) == (
            pytest.approx(wp * lowest / bid.price + we * bid.craft + wr * bid.reputation + bid.judgement))
        k, E = rng.random(), rng.uniform(0, 10)
        assert C.clarity_chance(k, E) == pytest.approx(min(1, 0.9 * k + 0.05 * min(E, 4)))


def test_completion_and_field_equations_match_the_code():
    rng = random.Random(4)
    for _ in range(300):
        m, integrity, u = rng.random(), rng.random(), rng.random()
        upfront = rng.random() < 0.5
        resolve = m + 0.3 * upfront
        p_impl = min(1, 0.8 * resolve * (0.4 + 0.6 * integrity))
        p_part = min(1 - p_impl, 0.35)
        expected = 1.0 if u < p_impl else 0.5 if u < p_impl + p_part else 0.0
        assert C.follow_through(m, integrity, upfront, u) == expected
        k, cw = rng.random(), rng.random()
        assert C.craft_floor(k, cw) == pytest.approx(1 - cw * (1 - k))
        tau, q0, qt, qo = (rng.random() for _ in range(4))
        pub, board = rng.random() < 0.5, rng.random() < 0.5
        assert C.discovery_chance(pub, tau, board, base=q0, transparency_weight=qt, oversight_weight=qo) == (
            pytest.approx(min(1, q0 + qt * tau * pub + qo * board)))
        assert C.damage("complied", 0.6, 0.25) == C.damage("conceded", 0.6, 0.25) == 0.6
        assert C.damage("settled", 0.6, 0.25) == 0.25
        assert C.damage("upheld", 0.6, 0.25) == C.damage("withdrawn", 0.6, 0.25) == 0.0
        r, conf, c0, eps, peers = (rng.random() for _ in range(5))
        om, peers = rng.uniform(0, 3), 2 * peers - 1
        assert D.commission_chance(r, conf, c0, eps, om, peers) == pytest.approx(
            max(0, min(1, r * (max(conf, 1e-6) / max(c0, 1e-6)) ** eps * (1 + om * peers))))
        o, chi, lam = rng.random(), rng.random(), rng.uniform(0, 2)
        assert D.sharing(o, chi, lam) == pytest.approx(o * max(0, 1 - lam * chi))
        pool, seen, alpha = rng.uniform(0, 50), rng.uniform(0, 50), rng.random()
        assert D.absorb(pool, seen, alpha) == pytest.approx(max(0, pool - seen) * alpha / 12)
        re_, unmet = rng.random(), rng.randrange(0, 20)
        assert D.entry_chance(re_, unmet) == pytest.approx(1 - (1 - re_) ** unmet)


def test_stakes_and_phases_match_the_document(text):
    table = text.split("### 7.3 Pressure", 1)[1].split("```math", 1)[0]
    for kind, phase in C.PHASE_OF_PRESSURE.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{kind}` |"))
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert cells[1].split()[0] == str(phase), kind
        assert float(cells[2]) == C.STAKE[kind], kind
        assert cells[3] == ", ".join(C.DIMENSION_OF_PRESSURE[kind]), kind


def test_derived_state_matches_the_document():
    import dmpsim

    model = dmpsim.DMPMarket(rng=0)
    x_s, l_s, a_s = (_d("integrity.experience_scale"), _d("learning.lesson_scale"),
                     _d("commissioners.anxiety_scale"))
    for p in model.practitioners[:10]:
        p.lessons, p.pool_seen, p.reserves = 3.0, 1.5, -5.0
        assert p.craft == pytest.approx(1 - math.exp(-p.experience / x_s))
        assert p.red_flag_skill == pytest.approx(1 - math.exp(-4.5 / l_s))
        sec = min(1, (0 + 12 * (p.safety_net_funding + p.other_income)) / (12 * p.overhead))
        assert p.security == pytest.approx(sec)
        assert p.dependence == pytest.approx(max(p.government_dependence, 1 - sec))
    for j in model.commissioners[:20]:
        A = j.stakes * math.exp(-j.experience / a_s)
        assert j.anxiety == pytest.approx(A)
        assert j.hazard == pytest.approx(min(1, 0.30 * j.stakes + 0.20 * A + 0.25 * j.desire + 0.15 * j.wash
                                             + 0.10 * (1 - j.transparency)
                                             + 0.15 * max(0, 1 - j.budget_adequacy)))
