"""Experiment files: designs, seeds, bundled experiments and the errors bad files get."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from dmpsim import cli
from dmpsim.errors import InputError
from dmpsim.experiments.design import run_seed
from dmpsim.experiments.factors import Distribution, Factor, Range, Values, parse_factor
from dmpsim.experiments.files import load_experiment, salib_design
from dmpsim.model.params import FLAT

HEAD = 'description = "test"\nscenario = "classroom"\nseed = 3\n'


def write(tmp_path: Path, body: str, head: str = HEAD, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


# -- bundled experiments ----------------------------------------------------------------------

def test_bundled_experiments_load_and_cover_the_issue():
    from dmpsim.experiments.scenario import bundled_names

    names = bundled_names("experiments")
    assert {"smoke", "safety_net", "large_firm_timing", "global_sensitivity"} <= set(names)
    for name in names:
        exp = load_experiment(name)
        assert exp.n_runs == exp.n_points * exp.replications >= 2
    smoke = load_experiment("smoke")
    assert 12 <= smoke.n_runs <= 60 and smoke.steps <= 24      # seconds, not minutes
    assert any("safety_net_share" in k for k in load_experiment("safety_net").keys)
    assert "large_firms.entry_step" in load_experiment("large_firm_timing").keys
    assert load_experiment("large_firm_timing").scenario.effective()["large_firms.enabled"]
    glob = load_experiment("global_sensitivity")
    assert glob.design in ("sobol", "morris") and len(glob.keys) >= 6


# -- designs ----------------------------------------------------------------------------------

def test_factorial_crosses_lists_and_ranges_first_parameter_slowest(tmp_path):
    exp = load_experiment(write(tmp_path, """
        replications = 2
        [parameters]
        "procurement.rule" = ["price", "quality"]
        "large_firms.entry_step" = { range = [0, 24], step = 12 }
        "procurement.weight_price" = { range = [0.1, 0.3], num = 3 }
    """))
    table = exp.design_table()
    assert exp.n_points == 2 * 3 * 3 and exp.n_runs == 36
    assert table["procurement.rule"].tolist() == ["price"] * 9 + ["quality"] * 9
    assert table["large_firms.entry_step"].tolist()[:9] == [0, 0, 0, 12, 12, 12, 24, 24, 24]
    assert table["procurement.weight_price"].tolist()[:3] == [0.1, 0.2, 0.3]  # no float noise
    assert table["large_firms.entry_step"].dtype.kind == "i"
    assert exp.point_values(4) == {"procurement.rule": "price", "large_firms.entry_step": 12,
                                   "procurement.weight_price": 0.2}


def test_tuples_design_fills_unset_keys_with_the_base_value(tmp_path):
    exp = load_experiment(write(tmp_path, """
        [design]
        type = "tuples"
        points = [
          { "procurement.rule" = "price" },
          { procurement.rule = "quality", procurement.weight_price = 0.2 },
        ]
    """))
    assert exp.keys == ["procurement.rule", "procurement.weight_price"]
    assert exp.point_values(0) == {"procurement.rule": "price",
                                   "procurement.weight_price": FLAT["procurement.weight_price"].default}
    assert exp.point_values(1) == {"procurement.rule": "quality", "procurement.weight_price": 0.2}


def test_latin_hypercube_is_stratified_typed_and_seeded(tmp_path):
    body = """
        [parameters]
        "procurement.weight_price" = { range = [0.2, 0.6] }
        "large_firms.entry_step" = { range = [0, 9] }
        "procurement.rule" = ["price", "quality"]
        "pressure.clarity_effect" = { distribution = "normal", mean = 0.45, sd = 0.3 }
        "learning.lesson_scale" = { distribution = "triangular", lo = 3, mode = 6, hi = 12 }
        [design]
        type = "lhs"
        samples = 20
    """
    exp = load_experiment(write(tmp_path, body))
    table = exp.design_table()
    assert len(table) == 20
    # One sample in each of the 20 equal strata of the float range: the Latin property.
    strata = np.floor((table["procurement.weight_price"] - 0.2) / 0.4 * 20).clip(0, 19)
    assert sorted(strata.astype(int)) == list(range(20))
    # Whole numbers 0..9, each twice (equal mass per integer, from the stratified column).
    steps = table["large_firms.entry_step"]
    assert steps.dtype.kind == "i" and sorted(steps) == sorted(list(range(10)) * 2)
    assert sorted(table["procurement.rule"].value_counts().tolist()) == [10, 10]
    clarity = table["pressure.clarity_effect"]
    assert clarity.between(0, 1).all() and abs(clarity.mean() - 0.45) < 0.1   # truncated at [0, 1]
    assert table["learning.lesson_scale"].between(3, 12).all()
    again = load_experiment(write(tmp_path, body, name="again.toml")).design_table()
    assert again.equals(table)
    other = load_experiment(write(tmp_path, body, head=HEAD.replace("seed = 3", "seed = 4"),
                                  name="other.toml")).design_table()
    assert not other["procurement.weight_price"].equals(table["procurement.weight_price"])


def test_sobol_design_is_salibs_matrix_in_salibs_order(tmp_path):
    from SALib.sample import sobol

    exp = load_experiment(write(tmp_path, """
        replications = 2
        [parameters]
        "response.integrity_weight" = { range = [1.0, 3.0] }
        "procurement.weight_price" = { range = [0.2, 0.6] }
        "procurement.rule" = ["price", "quality", "direct"]
        [design]
        type = "sobol"
        samples = 8
    """))
    design = salib_design(exp)
    assert exp.n_points == 8 * (3 + 2) and exp.n_runs == 80
    expected = sobol.sample({"num_vars": 3, "names": exp.keys, "bounds": [[0, 1]] * 3}, 8,
                            calc_second_order=False, scramble=True, seed=3)
    np.testing.assert_array_equal(design.unit, expected)
    assert design.problem["names"] == exp.keys
    # Row i of the matrix is design point i, whose runs are i * replications + r.
    np.testing.assert_allclose(design.values[:, 0], expected[:, 0] * 2.0 + 1.0)
    np.testing.assert_allclose(exp.design_table()["response.integrity_weight"], design.values[:, 0])
    rules = exp.design_table()["procurement.rule"].map({"price": 0, "quality": 1, "direct": 2})
    np.testing.assert_array_equal(design.values[:, 2], rules)
    assert design.run_ids[5].tolist() == [10, 11]
    assert [exp.identity(r) for r in design.run_ids[5]] == [(5, 0), (5, 1)]


def test_morris_design_has_trajectories_of_d_plus_one_rows(tmp_path):
    exp = load_experiment(write(tmp_path, """
        [parameters]
        "response.integrity_weight" = { range = [1.0, 3.0] }
        "procurement.weight_price" = { range = [0.2, 0.6] }
        [design]
        type = "morris"
        trajectories = 4
        levels = 4
    """))
    design = exp.salib_design()
    assert design.unit.shape == (4 * 3, 2)
    assert set(np.round(design.unit.ravel() * 3, 9)) <= {0, 1, 2, 3}   # the 4-level grid
    # Within a trajectory consecutive rows differ in exactly one parameter.
    for t in range(4):
        block = design.unit[3 * t:3 * t + 3]
        assert ((np.diff(block, axis=0) != 0).sum(axis=1) == 1).all()


def test_factor_maps_unit_values_within_bounds():
    weights = Range("procurement.weight_price", lo=0.1, hi=0.7)
    assert weights.from_unit(np.array([0.0, 1.0])).tolist() == [0.1, 0.7]
    counts = Range("practitioners.freelancer.count", lo=1, hi=3)
    assert counts.from_unit(np.array([0.0, 0.34, 0.67, 1.0])).tolist() == [1, 2, 3, 3]


@pytest.mark.parametrize("spec, design, form, kind", [
    (["price", "quality"], "factorial", Values, "values"),
    ({"values": ["price"]}, "lhs", Values, "values"),
])
def test_each_form_of_a_factor_is_its_own_class(spec, design, form, kind):
    factor = parse_factor("procurement.rule", spec, "<test>", design)
    assert type(factor) is form and isinstance(factor, Factor)
    assert factor.kind == kind and factor.key == "procurement.rule"
    assert factor.describe()["kind"] == kind


def test_numeric_factors_parse_describe_and_map_themselves():
    grid = parse_factor("large_firms.bid_rate", {"range": [0.2, 0.8], "num": 4}, "<t>", "factorial")
    assert isinstance(grid, Range) and grid.kind == "range"
    assert grid.levels() == [0.2, 0.4, 0.6, 0.8]
    assert grid.describe() == {"key": "large_firms.bid_rate", "kind": "range", "type": "float",
                               "lo": 0.2, "hi": 0.8, "num": 4}
    normal = parse_factor("large_firms.bid_rate", {"distribution": "normal", "mean": 0.5,
                                                   "sd": 0.1}, "<t>", "sobol")
    assert isinstance(normal, Distribution) and normal.kind == "distribution"
    assert (normal.lo, normal.hi, normal.mode) == (0.0, 1.0, None)
    assert normal.from_unit(np.array([0.5]))[0] == pytest.approx(0.5)
    assert list(normal.describe()) == ["key", "kind", "type", "lo", "hi", "distribution", "mean",
                                       "sd"]
    with pytest.raises(TypeError, match="no levels"):
        normal.levels()


# -- seeds ------------------------------------------------------------------------------------

def test_run_seeds_derive_from_experiment_seed_and_identity():
    state = np.random.SeedSequence(9, spawn_key=(2,)).generate_state(1, np.uint64)
    expected = int(state[0] >> np.uint64(1))
    assert run_seed(9, 5, 2, common_random_numbers=True) == expected
    # Common random numbers: replication k shares its seed across design points.
    assert run_seed(9, 0, 2) == run_seed(9, 7, 2) != run_seed(9, 0, 3)
    independent = {run_seed(9, p, r, common_random_numbers=False) for p in range(20) for r in range(5)}
    assert len(independent) == 100 and all(0 <= s < 2**63 for s in independent)
    assert run_seed(10, 0, 2) != run_seed(9, 0, 2)


def test_fingerprint_is_stable_and_tracks_what_determines_results(tmp_path):
    body = '[parameters]\n"procurement.rule" = ["price", "quality"]\n'
    a = load_experiment(write(tmp_path, body, name="a.toml"))
    b = load_experiment(write(tmp_path, body, name="b.toml"))
    assert a.fingerprint() == b.fingerprint()                   # file name does not matter
    c = load_experiment(write(tmp_path, body + "[set]\n\"market.n_commissioners\" = 50\n",
                              name="c.toml"))
    assert c.fingerprint() != a.fingerprint()


# -- errors -----------------------------------------------------------------------------------

BAD = [
    ("", 'description = "x"\nscenario = "classroom"\nreplicatons = 3\n', "replicatons",
     "did you mean 'replications'"),
    ('[parameters]\n"procurement.rule" = ["price"]\n', 'scenario = "classroom"\n',
     "description", "missing 'description'"),
    ('[parameters]\n"procurement.rul" = ["price"]\n', HEAD, "procurement.rul",
     "did you mean 'procurement.rule'"),
    ('[parameters]\n"procurement.rule" = ["price", "auction"]\n', HEAD, "procurement.rule",
     "'auction' is not one of price, quality, direct, consortium"),
    ('[parameters]\n"large_firms.bid_rate" = { range = [0.2, 1.5], num = 3 }\n', HEAD,
     "large_firms.bid_rate", "range end: 1.5 is outside [0.0, 1.0]"),
    ('[parameters]\n"large_firms.entry_step" = [12, 18.5]\n', HEAD, "large_firms.entry_step",
     "expected a whole number, got 18.5"),
    ('[parameters]\n"large_firms.entry_step" = { range = [0, 60], step = 7.5 }\n', HEAD,
     "large_firms.entry_step", "step must be a whole number"),
    ('[parameters]\n"large_firms.enabled" = ["yes", false]\n', HEAD, "large_firms.enabled",
     "expected true or false, got 'yes'"),
    ('[parameters]\n"procurement.rule" = { range = [0, 1], num = 2 }\n', HEAD,
     "procurement.rule", "needs a numeric parameter"),
    ('[parameters]\n"procurement.rule" = "price"\n', HEAD, "procurement.rule",
     "put it under [set]"),
    ('[parameters]\n"procurement.weight_price" = { range = [0.1, 0.5] }\n', HEAD,
     "procurement.weight_price", "needs num (how many values) or step"),
    ('[parameters]\n"procurement.weight_price" = { range = [0.1, 0.5], nun = 3 }\n', HEAD,
     "procurement.weight_price", "unknown option 'nun' (did you mean 'num'?)"),
    ('[parameters]\n"procurement.weight_price" = { distribution = "uniform", lo = 0, hi = 1 }\n',
     HEAD, "procurement.weight_price", "needs a sampling design"),
    ('[parameters]\n"response.integrity_weight" = { distribution = "normal", mean = 2, sd = 1, lo = 3, hi = 1 }\n'
     '[design]\ntype = "lhs"\nsamples = 4\n', HEAD, "response.integrity_weight",
     "lo must be below hi"),
    ('[parameters]\n"procurement.rule" = ["price"]\n[design]\ntype = "factorail"\n', HEAD,
     "design.type", "did you mean 'factorial'"),
    ('[parameters]\n"procurement.weight_price" = { range = [0.1, 0.5] }\n'
     '[design]\ntype = "sobol"\nsamples = 12\n', HEAD, "design.samples", "power of two"),
    ('[parameters]\n"procurement.weight_price" = { range = [0.1, 0.5] }\n'
     '[design]\ntype = "lhs"\nsample = 12\n', HEAD, "design.sample", "did you mean 'samples'"),
    ('[set]\n"procurement.rule" = "price"\n[parameters]\n"procurement.rule" = ["quality"]\n',
     HEAD, "procurement.rule", "both fixed in [set] and varied"),
    ('[set]\n"market.n_commissioners" = 0\n[parameters]\n"procurement.rule" = ["price"]\n',
     HEAD, "market.n_commissioners", "0 is outside [1, 1000000]"),
    ('[parameters]\n"procurement.rule" = ["price"]\n', 'description = "x"\nscenario = "baselin"\n',
     "scenario", "did you mean 'baseline'"),
    ('[parameters]\n"procurement.rule" = ["price"]\n[outputs]\nseries = true\n'
     'columns = ["integrty"]\n', HEAD, "outputs.columns", "did you mean 'integrity'"),
    ('replications = 0\n[parameters]\n"procurement.rule" = ["price"]\n', HEAD, "replications",
     "expected a whole number >= 1, got 0"),
    ('[parameters]\n"market.share_local" = [0.5, 0.9]\n', HEAD, "market",
     "design point 1 (market.share_local=0.9): share_local + share_regional + share_national"),
    ('[parameters\n', HEAD, None, "malformed TOML"),
]


@pytest.mark.parametrize(("body", "head", "key", "problem"), BAD,
                         ids=[f"{i}-{b[3][:24]}" for i, b in enumerate(BAD)])
def test_bad_experiment_files_get_one_line_naming_file_key_and_problem(tmp_path, body, head,
                                                                      key, problem):
    path = write(tmp_path, body, head=head)
    with pytest.raises(InputError) as caught:
        load_experiment(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path) + ": ")
    if key is not None:
        assert caught.value.key == key and f": {key}: " in message
    assert problem in message


def test_cli_reports_a_bad_experiment_in_one_line_with_status_2(tmp_path, capsys):
    path = write(tmp_path, '[parameters]\n"procurement.rule" = ["price", "auction"]\n')
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(f"dmpsim: error: {path}: procurement.rule: 'auction' is not one of")
    assert not (tmp_path / "out" / "runs.parquet").exists()
    assert cli.main(["sweep", "smok"]) == 2
    assert "did you mean 'smoke'" in capsys.readouterr().err


def test_cli_dry_run_validates_and_prints_the_size(capsys):
    assert cli.main(["sweep", "smoke", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "valid experiment 'smoke'" in out and "= 24 runs of 24 months" in out
