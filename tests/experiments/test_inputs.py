"""Bad input gives one clear line: an InputError naming the file (or flag), the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

import dmpsim
from dmpsim.errors import InputError
from dmpsim.experiments.scenario import load_scenario, parse_overrides
from dmpsim.model.params import check_value, resolve


def write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(ref, overrides=None) -> str:
    """The message of the InputError raised by loading `ref`; it must be exactly one line."""
    with pytest.raises(InputError) as info:
        load_scenario(ref, overrides)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.strip() == message and message
    return message


HEAD = 'description = "a test scenario"\n'


# -- scenario files ---------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "key", "problem"), [
    # unknown keys and tables, with a suggestion
    ('[procurment]\nrule = "price"\n', "procurment", "did you mean 'procurement'"),
    ('[procurement]\nrul = "price"\n', "procurement.rul", "did you mean 'procurement.rule'"),
    ('[market]\nn_comissioners = 10\n', "market.n_comissioners",
     "did you mean 'market.n_commissioners'"),
    ('[practitioners.freelancr]\ncount = 2\n', "practitioners.freelancr",
     "did you mean 'practitioners.freelancer'"),
    ('stepz = 3\n', "stepz", "unknown key"),
    # wrong types
    ('[market]\nn_commissioners = "many"\n', "market.n_commissioners", "expected a number"),
    ('[large_firms]\nenabled = 1\n', "large_firms.enabled", "expected true or false"),
    ('[large_firms]\nenabled = "yes"\n', "large_firms.enabled", "expected true or false"),
    ('[market]\nn_commissioners = 10.5\n', "market.n_commissioners", "whole number"),
    ('[practitioners.freelancer]\ncount = 2.5\n', "practitioners.freelancer.count", "whole number"),
    ('[procurement]\nrule = 3\n', "procurement.rule", "expected text"),
    ('[governance]\nparticipant_control = true\n', "governance.participant_control",
     "expected a number"),
    ('[governance]\nparticipant_control = [0.2]\n', "governance.participant_control",
     "expected a number"),
    ('[procurement]\nrule = "auction"\n', "procurement.rule", "not one of"),
    ('[procurement]\nrule = "pric"\n', "procurement.rule", "did you mean 'price'"),
    ('[procurement.rule]\nx = 1\n', "procurement.rule", "expected a value, got a table"),
    # out of range
    ('[governance]\nseparate_funder_share = 1.5\n', "governance.separate_funder_share",
     "outside [0.0, 1.0]"),
    ('[practitioners.independent_nonprofit]\ncount = -3\n',
     "practitioners.independent_nonprofit.count", "outside"),
    ('[market]\nn_commissioners = 0\n', "market.n_commissioners", "outside"),
    ('[commissioners]\nduration = 2\n', "commissioners.duration", "outside [4, 60]"),
    ('[pressure]\noutcome = nan\n', "pressure.outcome", "nan"),
    ('[pressure]\noutcome = inf\n', "pressure.outcome", "expected a finite number"),
    # cross-key checks
    ('[market]\nshare_local = 0.6\nshare_regional = 0.3\nshare_national = 0.2\n', "market",
     "more than 1"),
    ('[practitioners.independent_nonprofit]\ncount = 0\n[practitioners.independent_commercial]\n'
     'count = 0\n[practitioners.freelancer]\ncount = 0\n', "practitioners", "no practitioners"),
])
def test_bad_scenario_file_names_file_key_and_problem(tmp_path, body, key, problem):
    path = write(tmp_path, HEAD + body)
    message = error_for(path)
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in message


def test_the_error_carries_its_parts(tmp_path):
    path = write(tmp_path, HEAD + "[procurement]\nrul = 'price'\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert info.value.key == "procurement.rul"
    assert "unknown key" in info.value.problem
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("body", [
    'description = "x"\n[market\nn_commissioners = 3\n',
    'description = "x"\nmarket.n_commissioners = \n',
    'description = "unterminated\n',
    'description = "x"\n[market]\nn_commissioners = 3\n[market]\nn_commissioners = 4\n',
])
def test_malformed_toml(tmp_path, body):
    path = write(tmp_path, body)
    message = error_for(path)
    assert message.startswith(f"{path}: malformed TOML: ")
    assert "line" in message  # where in the file


@pytest.mark.parametrize("body", ["", "[market]\nn_commissioners = 30\n", 'description = ""\n',
                                  'description = "   "\n', "description = 3\n"])
def test_missing_description(tmp_path, body):
    path = write(tmp_path, body)
    message = error_for(path)
    assert message.startswith(f"{path}: description: missing 'description'")


def test_bad_name_field(tmp_path):
    message = error_for(write(tmp_path, HEAD + "name = 7\n"))
    assert ": name: expected text" in message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    assert error_for(path) == f"{path}: file not found"
    assert error_for(str(path)) == f"{path}: file not found"


def test_unreadable_file(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00description")
    message = error_for(path)
    assert message.startswith(f"{path}: cannot read file")


@pytest.mark.parametrize(("name", "suggestion"), [("basline", "baseline"),
                                                  ("price_tender", "price_only_tender"),
                                                  ("clasroom", "classroom")])
def test_unknown_bundled_name_suggests_the_closest(name, suggestion):
    message = error_for(name)
    assert message.startswith(f"{name}: no bundled scenario of that name")
    assert f"did you mean '{suggestion}'" in message
    assert "baseline" in message.split("bundled:")[1]  # lists what there is


def test_unknown_bundled_name_without_close_match_lists_names():
    message = error_for("zzzzzz")
    assert "did you mean" not in message
    assert "classroom" in message


def test_scenario_of_wrong_type():
    with pytest.raises(InputError, match="scenario: expected a scenario name or path, got int"):
        load_scenario(42)


def test_valid_file_is_accepted_and_sets_only_its_values(tmp_path):
    path = write(tmp_path, HEAD + 'name = "mine"\n[procurement]\nrule = "price"\n'
                 "[practitioners.freelancer]\ncount = 2.0\n")
    scenario = load_scenario(path)
    assert scenario.name == "mine"
    assert scenario.values == {"procurement.rule": "price", "practitioners.freelancer.count": 2}
    assert isinstance(scenario.effective()["practitioners.freelancer.count"], int)


# -- --set overrides --------------------------------------------------------------------------

@pytest.mark.parametrize(("item", "expected"), [
    ("foo", "--set: expected KEY=VALUE, got 'foo'"),
    ("=3", "--set: expected KEY=VALUE, got '=3'"),
    ("procurement.rule=auction", "--set: procurement.rule: 'auction' is not one of"),
    ("nosuch.key=1", "--set: nosuch.key: unknown key"),
    ("procurment.rule=price", "--set: procurment.rule: unknown key (did you mean 'procurement.rule'?)"),
    ("market.n_commissioners=ten", "--set: market.n_commissioners: expected a number, got 'ten'"),
    ("market.n_commissioners=2.5", "--set: market.n_commissioners: expected a whole number"),
    ("large_firms.enabled=1", "--set: large_firms.enabled: expected true or false, got 1"),
    ("governance.separate_funder_share=1.5", "--set: governance.separate_funder_share: 1.5 is outside"),
    ("practitioners.freelancer.count=-1", "--set: practitioners.freelancer.count: -1 is outside"),
])
def test_bad_set_forms(item, expected):
    message = error_for("baseline", [item])
    assert message.startswith(expected), message


def test_good_set_forms_are_read_as_toml():
    assert parse_overrides(["procurement.rule=price", "large_firms.enabled=true",
                            "market.n_commissioners=50", "governance.participant_control=0.5",
                            'procurement.rule="quality"']) == {
        "procurement.rule": "quality", "large_firms.enabled": True,
        "market.n_commissioners": 50, "governance.participant_control": 0.5}


def test_set_shares_over_one_names_the_key():
    message = error_for("baseline", ["market.share_local=0.9"])
    assert "market: share_local + share_regional + share_national is 1.350, more than 1" in message


def test_set_cross_key_error_does_not_blame_the_bundled_file():
    message = error_for("baseline", ["market.share_local=0.9"])
    assert "baseline.toml" not in message


# -- the Python API ---------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"seed": -1}, "seed: expected a whole number >= 0, got -1"),
    ({"seed": 1.5}, "seed: expected a whole number >= 0, got 1.5"),
    ({"seed": True}, "seed: expected a whole number >= 0, got True"),
    ({"steps": 0}, "steps: expected a whole number >= 1, got 0"),
    ({"steps": "12"}, "steps: expected a whole number >= 1, got '12'"),
    ({"overrides": {"procurement.rule": "auction"}}, "override: procurement.rule: 'auction'"),
    ({"overrides": {"market.nope": 1}}, "override: market.nope: unknown key"),
    ({"scenario": "nosuch"}, "nosuch: no bundled scenario of that name"),
])
def test_run_rejects_bad_arguments(kwargs, expected):
    with pytest.raises(InputError) as info:
        dmpsim.run(**{"steps": 1, **kwargs})
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_model_rejects_bad_parameters():
    with pytest.raises(InputError, match=r"^procurement.rule: 'auction' is not one of"):
        dmpsim.DMPMarket({"procurement.rule": "auction"}, rng=0)
    with pytest.raises(InputError, match=r"^market.n_commissioners: 0 is outside"):
        dmpsim.DMPMarket(rng=0, **{"market.n_commissioners": 0})


def test_check_value_converts_and_bounds():
    assert check_value("market.n_commissioners", 30.0) == 30
    assert isinstance(check_value("market.n_commissioners", 30.0), int)
    assert check_value("confidence.initial", 1) == 1.0
    assert check_value("confidence.initial", 0) == 0.0
    with pytest.raises(InputError, match="outside"):
        check_value("confidence.initial", 1.0000001)
    with pytest.raises(InputError, match="expected a number, got True"):
        check_value("confidence.initial", True)
    assert resolve()["procurement.rule"] == "quality"


@pytest.mark.parametrize(("values", "key", "problem"), [
    ({"practitioners.independent_commercial.safety_net_share": 0.5},
     "practitioners.independent_commercial.safety_net_share", "safety_net_funding is 0"),
    ({"practitioners.freelancer.safety_net_share": 1.0,
      "practitioners.freelancer.safety_net_funding": 0.0},
     "practitioners.freelancer.safety_net_share", "no safety net"),
    ({"large_firms.enabled": True, "practitioners.large_firm.count": 0},
     "large_firms.enabled", "large_firm.count is 0"),
    ({"commissioner_kinds.department.share": 0.7, "commissioner_kinds.legislature.share": 0.5},
     "commissioner_kinds", "more than 1"),
    ({"practitioners.independent_nonprofit.count": 0, "practitioners.independent_commercial.count": 0,
      "practitioners.freelancer.count": 0, "large_firms.enabled": True,
      "mechanisms.large_firms": False},
     "practitioners", "no practitioners"),
])
def test_inconsistent_combinations_are_input_errors(values, key, problem):
    with pytest.raises(InputError) as caught:
        dmpsim.DMPMarket(values, rng=0)
    message = str(caught.value)
    assert message.startswith(f"{key}:") and problem in message and "\n" not in message, message


def test_a_funded_share_with_funding_is_accepted():
    market = dmpsim.DMPMarket({"practitioners.independent_commercial.safety_net_share": 1.0,
                               "practitioners.independent_commercial.safety_net_funding": 6.0},
                              rng=0)
    commercial = [p for p in market.practitioners if p.kind == "independent_commercial"]
    assert commercial and all(p.has_safety_net for p in commercial)


def test_a_folder_named_like_a_bundled_file_does_not_hide_it(tmp_path, monkeypatch):
    """`dmpsim run baseline` in a folder that holds a `baseline/` results folder."""
    from dmpsim.experiments.files import load_experiment

    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").mkdir()
    (tmp_path / "smoke").mkdir()
    assert load_scenario("baseline").name == "baseline"
    assert load_experiment("smoke").name == "smoke"
