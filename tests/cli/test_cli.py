"""The `dmpsim` command line: run, scenarios, validate; outputs on disk; errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import mesa
import pandas as pd
import pytest
from support import ROOT, run_cli

import dmpsim
from dmpsim.cli import main
from dmpsim.experiments import tables as metrics
from dmpsim.experiments.scenario import bundled_dir, bundled_names
from dmpsim.io.provenance import jsonable
from dmpsim.model.params import DIMENSIONS, FLAT

TABLES = ("model", "contracts", "episodes", "practitioners")

REQUIRED_SUMMARY = (
    "integrity_mean", "pressure_rate", "comply_rate", "pushback_rate", "negotiate_rate",
    "withdraw_rate", "large_firm_share", "independent_share", "field_experience",
    "independents_active", "public_confidence", "implementation_rate", "contracts_completed",
    "exits",
)
REQUIRED_CONTRACT_COLUMNS = (
    "practitioner_kind", "reputation", "experience", "has_safety_net", "funded_by_commissioner",
    "n_episodes", "status", "integrity", *DIMENSIONS,
)
DOCUMENTED = {
    "model": metrics.MODEL_COLUMN_DOCS,
    "contracts": metrics.CONTRACT_COLUMNS,
    "episodes": metrics.EPISODE_COLUMN_DOCS,
    "practitioners": metrics.PRACTITIONER_COLUMNS,
}


def strict_json(text: str):
    """JSON as the standard defines it: NaN and Infinity are not allowed."""
    def refuse(token):
        raise ValueError(f"not valid JSON: {token}")

    return json.loads(text, parse_constant=refuse)


call = run_cli


@pytest.fixture(scope="module")
def json_run(tmp_path_factory):
    """One `dmpsim run classroom --steps 24 --json --csv --set ...`, shared by the tests below."""
    out = tmp_path_factory.mktemp("cli") / "run"
    argv = ["run", "classroom", "--steps", "24", "--seed", "3", "--out", str(out), "--json",
            "--csv", "--set", "procurement.rule=price", "--set", "governance.oversight_board=true"]
    status, stdout, stderr = call(argv)
    assert status == 0, stderr
    return out, stdout, stderr


def test_run_json_prints_the_summary(json_run):
    _, stdout, stderr = json_run
    summary = strict_json(stdout)
    assert list(summary) == list(metrics.SUMMARY_KEYS)
    for key in REQUIRED_SUMMARY:
        assert key in summary
    assert summary["contracts_completed"] > 0
    assert 0.0 <= summary["public_confidence"] <= 1.0
    assert stderr == ""


def test_run_writes_tables_run_json_csv_and_figure(json_run):
    out, stdout, _ = json_run
    names = {p.name for p in out.iterdir()}
    expected = ({f"{t}.parquet" for t in TABLES} | {f"{t}.csv" for t in TABLES}
                | {"run.json", "overview.png"})
    assert names == expected  # and no temporary files left behind
    assert (out / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for table in TABLES:
        parquet = pd.read_parquet(out / f"{table}.parquet")
        csv = pd.read_csv(out / f"{table}.csv")
        assert list(parquet.columns) == list(csv.columns)
        assert len(parquet) == len(csv)
    assert len(pd.read_parquet(out / "model.parquet")) == 24
    summary = strict_json(stdout)
    contracts = pd.read_parquet(out / "contracts.parquet")
    assert summary["contracts_completed"] == int((contracts["status"] == "completed").sum())


def test_run_json_records_effective_scenario_seed_and_versions(json_run):
    out, stdout, _ = json_run
    meta = strict_json((out / "run.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 3
    assert meta["steps"] == 24
    assert meta["versions"]["dmpsim"] == dmpsim.__version__
    assert meta["versions"]["mesa"] == mesa.__version__
    assert meta["summary"] == strict_json(stdout)
    assert meta["overrides"] == {"procurement.rule": "price", "governance.oversight_board": True}
    scenario = meta["scenario"]
    assert scenario["name"] == "classroom"
    assert scenario["description"].startswith("A small, fast market for teaching")
    # The --set overrides and the file's own values are in the effective scenario ...
    assert scenario["procurement"]["rule"] == "price"
    assert scenario["governance"]["oversight_board"] is True
    assert scenario["market"]["n_commissioners"] == 40
    assert scenario["large_firms"]["enabled"] is True
    # ... as is every other parameter, at its default.
    for key, spec in FLAT.items():
        node = scenario
        for part in key.split("."):
            node = node[part]
        if key not in ("procurement.rule", "governance.oversight_board", "run.steps",
                       "market.n_commissioners", "commissioners.commission_rate",
                       "large_firms.enabled", "large_firms.entry_step") and ".count" not in key:
            assert node == spec.default, key


def test_run_json_rerun_reproduces_the_summary(json_run, tmp_path):
    """The seed and effective scenario in run.json are enough to reproduce the run."""
    out, stdout, _ = json_run
    meta = strict_json((out / "run.json").read_text(encoding="utf-8"))
    result = dmpsim.run(meta["scenario_source"], seed=meta["seed"], steps=meta["steps"],
                        overrides=meta["overrides"])
    assert strict_json(json.dumps(jsonable(result.summary))) == meta["summary"]


def test_run_text_output_without_csv(tmp_path):
    out = tmp_path / "text"
    status, stdout, stderr = call(["run", "classroom", "--steps", "24", "--out", str(out)])
    assert status == 0, stderr
    assert stdout.startswith("dmpsim run: classroom — A small, fast market for teaching")
    assert "seed 0, 24 months (2 years)" in stdout
    assert "Processes completed" in stdout and "Public confidence at the end" in stdout
    assert f"written to {out}/" in stdout
    assert not list(out.glob("*.csv"))
    assert {f"{t}.parquet" for t in TABLES} <= {p.name for p in out.iterdir()}


def test_every_column_is_documented_and_every_summary_key_present():
    result = dmpsim.run("classroom", seed=1, steps=48)
    for name, table in result.tables().items():
        undocumented = set(table.columns) - set(DOCUMENTED[name])
        assert not undocumented, (name, undocumented)
        assert len(table) > 0, name
    assert list(result.model.columns) == list(metrics.MODEL_COLUMN_DOCS)
    for col in REQUIRED_CONTRACT_COLUMNS:
        assert col in result.contracts.columns, col
    assert list(result.summary) == list(metrics.SUMMARY_KEYS)
    for key in REQUIRED_SUMMARY:
        assert key in metrics.SUMMARY_KEYS, key
    for docs in (*DOCUMENTED.values(), metrics.SUMMARY_KEYS):
        assert all(isinstance(v, str) and v.strip() for v in docs.values())


def test_scenarios_lists_every_bundled_scenario_with_its_description(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    files = sorted(bundled_dir().glob("*.toml"))
    assert len(lines) == len(files) == len(bundled_names()) >= 10
    for line, path in zip(lines, files, strict=True):
        description = tomllib.loads(path.read_text(encoding="utf-8"))["description"]
        name, _, rest = line.partition(" ")
        assert name == path.stem
        assert rest.strip() == description.strip()


def test_validate_good_file(capsys):
    status = main(["validate", str(ROOT / "scenarios" / "baseline.toml")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "valid scenario 'baseline'" in captured.out
    assert captured.err == ""


@pytest.mark.parametrize("name", bundled_names())
def test_validate_every_bundled_scenario(name, capsys):
    assert main(["validate", str(bundled_dir() / f"{name}.toml")]) == 0
    assert f"valid scenario '{name}'" in capsys.readouterr().out


@pytest.mark.parametrize(("body", "fragment"), [
    ('description = "x"\n[procurement]\nrul = "price"\n',
     "procurement.rul: unknown key (did you mean 'procurement.rule'?)"),
    ('[market]\nn_commissioners = 10\n', "description: missing 'description'"),
    ('description = "x"\n[market\n', "malformed TOML"),
])
def test_validate_bad_file_exits_2_with_one_line(tmp_path, capsys, body, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    status = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"dmpsim: error: {path}: ")
    assert fragment in lines[0]


@pytest.mark.parametrize(("argv", "fragment"), [
    (["run", "nosuch"], "nosuch: no bundled scenario of that name"),
    (["run", "basline"], "did you mean 'baseline'"),
    (["run", "classroom", "--set", "foo"], "--set: expected KEY=VALUE, got 'foo'"),
    (["run", "classroom", "--set", "procurement.rule=auction"],
     "--set: procurement.rule: 'auction' is not one of"),
    (["run", "classroom", "--set", "nosuch.key=1"], "--set: nosuch.key: unknown key"),
    (["validate", "missing.toml"], "missing.toml: file not found"),
])
def test_bad_input_exits_2_with_one_line(argv, fragment, tmp_path):
    status, stdout, stderr = call([*argv, "--out", str(tmp_path)] if argv[0] == "run" else argv)
    assert status == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("dmpsim: error: ")
    assert fragment in stderr
    assert "Traceback" not in stderr
    assert not any(tmp_path.iterdir())  # nothing written for a run that never started


@pytest.mark.parametrize("argv", [["run", "--steps", "0"], ["run", "--seed", "-1"],
                                  ["run", "--steps", "x"], ["nosuchcommand"], [],
                                  ["sweep", "smoke", "--batch-size", "0"],
                                  ["sweep", "smoke", "--batch-size", "many"]])
def test_bad_flags_exit_2(argv):
    status, stdout, stderr = call(argv)
    assert status == 2
    assert "usage: dmpsim" in stderr
    assert "Traceback" not in stderr


def test_sweep_batch_size_is_kept_in_the_table_and_the_resume_hint(tmp_path):
    """--batch-size changes how runs travel to workers, not the table; the interrupt hint
    repeats it."""
    from dmpsim.cli import build_parser, resume_command

    tables = []
    for size in ("1", "5"):
        out = tmp_path / f"batch{size}"
        status, stdout, _ = call(["sweep", "smoke", "--workers", "2", "--batch-size", size,
                                  "--out", str(out), "--quiet"])
        assert status == 0, stdout
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["sessions"][-1]["tasks"] == -(-24 // int(size))
        tables.append(pd.read_parquet(out / "runs.parquet").drop(columns=["elapsed"]))
    pd.testing.assert_frame_equal(*tables)
    args = build_parser().parse_args(["sweep", "smoke", "--batch-size", "5", "--out",
                                      str(tmp_path)])
    assert "--batch-size 5" in resume_command(args, tmp_path)


def test_version():
    status, stdout, _ = call(["--version"])
    assert status == 0
    assert stdout.strip() == f"dmpsim {dmpsim.__version__}"


def test_unwritable_out_folder_is_reported_in_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    try:
        status, _, stderr = call(["run", "classroom", "--steps", "12", "--out", str(blocker)])
    except OSError:
        pytest.fail("OSError escaped cli.main")
    assert status == 2
    assert stderr.startswith("dmpsim: error: ") and stderr.count("\n") == 1


def test_subprocess_bad_scenario_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\n[governance]\nseparate_funder_share = 1.5\n',
                   encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "dmpsim.cli", "run", str(bad), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == (f"dmpsim: error: {bad}: governance.separate_funder_share: "
                           "1.5 is outside [0.0, 1.0]\n")
    assert not (tmp_path / "out").exists()
