"""Nothing slips through (issue 9): every class of bad input gets one line, exit status 2.

A table of bad inputs across scenario files, experiment files, every command's flags and the
Python API. Each CLI case runs `dmpsim.cli.main` in-process (an exception other than the
one-line error would fail the test with its traceback) and asserts exit status 2, one error
line naming the file or flag, the key and the problem, and no traceback; argparse's own errors
keep its usage lines above the one error line. A few cases also run as a real subprocess.
API cases assert an `InputError` with a one-line message naming the key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import needs_dask, run_cli

import dmpsim
from dmpsim.errors import InputError
from dmpsim.model.params import FLAT

MAX_STEPS = int(FLAT["run.steps"].hi)
HEAD = 'description = "a test file"\n'
EXP = HEAD + 'scenario = "classroom"\nsteps = 3\n'


cli = run_cli

# Cases that reach the check of the scheduler's address: without the dask extra a sweep stops
# before it, at "the dask backend needs dask.distributed" (one line too, but another key).
NEEDS_DASK = {"sweep-scheduler-address", "sweep-scheduler"}


def cases(table: list[tuple]) -> list:
    """The rows of a table of cases as pytest parameters, each with its name as its id."""
    return [pytest.param(*rest, id=name, marks=needs_dask if name in NEEDS_DASK else ())
            for name, *rest in table]


def error_line(stderr: str) -> str:
    """The one error line: InputError's alone; argparse's after its usage lines."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip("\n").splitlines()
    assert lines, "no error message"
    if lines[0].startswith("usage:"):
        assert all(not line.startswith("dmpsim: error") for line in lines[:-1]), stderr
        assert ": error: argument " in lines[-1] or ": error: " in lines[-1], stderr
    else:
        assert len(lines) == 1, stderr
        assert lines[0].startswith("dmpsim: error: "), stderr
    return lines[-1]


# -- fixtures: files the cases refer to as {name} --------------------------------------------

FILES = {
    "malformed.toml": HEAD + "[market\n",
    "nodesc.toml": "[market]\nn_commissioners = 10\n",
    "unknown.toml": HEAD + "[procurement]\nrul = 'price'\n",
    "table.toml": HEAD + "[procurment]\nrule = 'price'\n",
    "type.toml": HEAD + "[market]\nn_commissioners = 'many'\n",
    "bool.toml": HEAD + "[governance]\nparticipant_control = true\n",
    "range.toml": HEAD + "[governance]\nseparate_funder_share = 1.5\n",
    "inf.toml": HEAD + "[practitioners.freelancer]\noverhead = inf\n",
    "nan.toml": HEAD + "[pressure]\noutcome = nan\n",
    "huge.toml": HEAD + "[market]\nn_commissioners = 1000000000000000000000000000000\n",
    "firms.toml": HEAD + "[large_firms]\nenabled = true\n[practitioners.large_firm]\ncount = 0\n",
    "nobody.toml": HEAD + "".join(f"[practitioners.{k}]\ncount = 0\n" for k in (
        "independent_nonprofit", "independent_commercial", "freelancer")),
    "shares.toml": HEAD + "[market]\nshare_local = 0.6\nshare_regional = 0.3\nshare_national = 0.2\n",
    "valtable.toml": HEAD + "[procurement.rule]\nx = 1\n",
    "name.toml": HEAD + "name = 3\n",
    "choice.toml": HEAD + "[procurement]\nrule = 'auction'\n",
    "steps.toml": HEAD + "[run]\nsteps = 100000000\n",
    # experiments
    "x_steps.toml": HEAD + "scenario = 'classroom'\nsteps = 100000000\n"
                    "[parameters]\n'procurement.rule' = ['price', 'quality']\n",
    "x_num.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { range = [0.2, 0.8], num = 100000000000 }\n",
    "x_step.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { range = [0.2, 0.8], step = 1e-12 }\n",
    "x_inf.toml": EXP + "[parameters]\n'market.n_commissioners' = { range = [1, inf], num = 3 }\n",
    "x_dotdot.toml": EXP + "name = '..'\n[parameters]\n'procurement.rule' = ['price', 'quality']\n",
    "x_slash.toml": EXP + "name = 'a/b'\n[parameters]\n'procurement.rule' = ['price', 'quality']\n",
    "x_reps0.toml": EXP + "replications = 0\n[parameters]\n'procurement.rule' = ['price']\n",
    "x_repsbig.toml": EXP + "replications = 1000000000000\n[parameters]\n'procurement.rule' = ['price']\n",
    "x_top.toml": EXP + "replicates = 2\n[parameters]\n'procurement.rule' = ['price']\n",
    "x_design.toml": EXP + "[parameters]\n'procurement.rule' = ['price']\n[design]\ntype = 'grid'\n",
    "x_dist.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { distribution = 'uniform', lo = 0.1, hi = 0.5 }\n",
    "x_lhs.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { range = [0.1, 0.5] }\n"
                  "[design]\ntype = 'lhs'\nsamples = 100000000000\n",
    "x_sobol.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { range = [0.1, 0.5] }\n"
                    "[design]\ntype = 'sobol'\nsamples = 6\n",
    "x_sobolbig.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { range = [0.1, 0.5] }\n"
                       "[design]\ntype = 'sobol'\nsamples = 1099511627776\n",
    "x_morris.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { range = [0.1, 0.5] }\n"
                     "[design]\ntype = 'morris'\ntrajectories = 100000000000\n",
    "x_product.toml": EXP + "[parameters]\n" + "".join(
        f"'{k}' = {{ range = [0.0, 1.0], num = 1000 }}\n"
        for k in ("large_firms.bid_rate", "governance.participant_control",
                  "governance.separate_funder_share")),
    "x_seed.toml": EXP + "seed = -1\n[parameters]\n'procurement.rule' = ['price']\n",
    "x_both.toml": EXP + "[set]\n'procurement.rule' = 'price'\n[parameters]\n'procurement.rule' = ['price']\n",
    "x_param.toml": EXP + "[parameters]\n'procurement.rul' = ['price']\n",
    "x_points.toml": EXP + "[parameters]\n'market.share_local' = [0.2, 0.9]\n",
    "x_column.toml": EXP + "[parameters]\n'procurement.rule' = ['price']\n[outputs]\nseries = true\n"
                     "columns = ['integrityy']\n",
    "x_stepinf.toml": EXP + "[parameters]\n'large_firms.bid_rate' = { range = [0.2, 0.8], step = inf }\n",
    "x_list.toml": EXP + "[parameters]\n'procurement.rule' = ['price', 'quality']\n",
    "afile": "not a folder\n",
}

# (id, argv with {path} placeholders, fragments that must all be in the error line)
CLI_CASES = [
    # scenario files, through validate and run
    ("toml-malformed", ["validate", "{malformed.toml}"], ["malformed.toml", "malformed TOML"]),
    ("toml-no-description", ["validate", "{nodesc.toml}"], ["nodesc.toml", "description"]),
    ("toml-unknown-key", ["validate", "{unknown.toml}"], ["procurement.rul", "did you mean"]),
    ("toml-unknown-table", ["validate", "{table.toml}"], ["procurment", "unknown table"]),
    ("toml-wrong-type", ["validate", "{type.toml}"], ["market.n_commissioners", "number"]),
    ("toml-bool-for-number", ["validate", "{bool.toml}"], ["participant_control", "number"]),
    ("toml-out-of-range", ["validate", "{range.toml}"], ["separate_funder_share", "outside"]),
    ("toml-inf", ["validate", "{inf.toml}"], ["freelancer.overhead", "finite"]),
    ("toml-nan", ["validate", "{nan.toml}"], ["pressure.outcome", "nan"]),
    ("toml-huge-int", ["validate", "{huge.toml}"], ["n_commissioners", "outside"]),
    ("toml-firms-without-firms", ["validate", "{firms.toml}"], ["large_firm.count is 0"]),
    ("toml-no-practitioners", ["validate", "{nobody.toml}"], ["practitioners", "no practitioners"]),
    ("toml-shares", ["validate", "{shares.toml}"], ["market", "more than 1"]),
    ("toml-table-for-value", ["validate", "{valtable.toml}"], ["procurement.rule", "table"]),
    ("toml-name-type", ["validate", "{name.toml}"], ["name", "text"]),
    ("toml-choice", ["run", "{choice.toml}"], ["procurement.rule", "not one of"]),
    ("toml-steps", ["run", "{steps.toml}"], ["run.steps", "outside"]),
    ("file-missing", ["validate", "{dir}/nope.toml"], ["nope.toml", "file not found"]),
    ("scenario-unknown", ["run", "basline"], ["basline", "did you mean 'baseline'"]),
    # --set
    ("set-no-equals", ["run", "classroom", "--set", "foo"], ["--set", "KEY=VALUE"]),
    ("set-empty-key", ["run", "classroom", "--set", "=3"], ["--set", "KEY=VALUE"]),
    ("set-unknown", ["run", "classroom", "--set", "nosuch.key=1"], ["nosuch.key", "unknown key"]),
    ("set-inf", ["run", "classroom", "--set", "market.n_commissioners=1e309"],
     ["--set", "n_commissioners", "finite"]),
    ("set-type", ["run", "classroom", "--set", "governance.oversight_board=3"],
     ["oversight_board", "true or false"]),
    # run's flags
    ("run-steps-huge", ["run", "classroom", "--steps", "100000000000"],
     ["--steps", f"at most {MAX_STEPS}"]),
    ("run-steps-negative", ["run", "classroom", "--steps", "-5"], ["--steps", ">= 1"]),
    ("run-steps-zero", ["run", "classroom", "--steps", "0"], ["--steps", ">= 1"]),
    ("run-steps-text", ["run", "classroom", "--steps", "abc"], ["--steps", "whole number"]),
    ("run-seed-negative", ["run", "classroom", "--seed", "-1"], ["--seed", ">= 0"]),
    ("run-out-file", ["run", "classroom", "--steps", "2", "--out", "{afile}"],
     ["afile", "--out", "not a folder"]),
    ("run-out-under-file", ["run", "classroom", "--steps", "2", "--out", "{afile}/sub"],
     ["afile/sub", "--out", "not a folder"]),
    ("run-out-proc", ["run", "classroom", "--steps", "2", "--out", "/proc/dmpsim-x"],
     ["/proc/dmpsim-x", "--out", "cannot write"]),
    # experiment files
    ("exp-steps", ["sweep", "{x_steps.toml}", "--dry-run"], ["x_steps.toml", "steps", "at most"]),
    ("exp-num-huge", ["sweep", "{x_num.toml}", "--dry-run"], ["bid_rate", "design points"]),
    ("exp-step-tiny", ["sweep", "{x_step.toml}", "--dry-run"], ["bid_rate", "design points"]),
    ("exp-range-inf", ["sweep", "{x_inf.toml}", "--dry-run"], ["n_commissioners", "finite"]),
    ("exp-step-inf", ["sweep", "{x_stepinf.toml}", "--dry-run"], ["bid_rate", "finite"]),
    ("exp-name-dotdot", ["sweep", "{x_dotdot.toml}", "--dry-run"], ["name", "'..'"]),
    ("exp-name-slash", ["sweep", "{x_slash.toml}", "--dry-run"], ["name", "'a/b'"]),
    ("exp-reps-zero", ["sweep", "{x_reps0.toml}", "--dry-run"], ["replications", ">= 1"]),
    ("exp-reps-huge", ["sweep", "{x_repsbig.toml}", "--dry-run"], ["replications", "outside"]),
    ("exp-unknown-key", ["sweep", "{x_top.toml}", "--dry-run"], ["replicates", "did you mean"]),
    ("exp-unknown-design", ["sweep", "{x_design.toml}", "--dry-run"], ["design.type", "grid"]),
    ("exp-dist-factorial", ["sweep", "{x_dist.toml}", "--dry-run"], ["bid_rate", "sampling"]),
    ("exp-lhs-huge", ["sweep", "{x_lhs.toml}", "--dry-run"], ["design.samples", "design points"]),
    ("exp-sobol-not-power", ["sweep", "{x_sobol.toml}", "--dry-run"], ["design.samples", "power of two"]),
    ("exp-sobol-huge", ["sweep", "{x_sobolbig.toml}", "--dry-run"], ["design.samples", "design points"]),
    ("exp-morris-huge", ["sweep", "{x_morris.toml}", "--dry-run"],
     ["design.trajectories", "design points"]),
    ("exp-factorial-huge", ["sweep", "{x_product.toml}", "--dry-run"], ["parameters", "design points"]),
    ("exp-seed", ["sweep", "{x_seed.toml}", "--dry-run"], ["seed", ">= 0"]),
    ("exp-fixed-and-varied", ["sweep", "{x_both.toml}", "--dry-run"], ["procurement.rule", "both"]),
    ("exp-unknown-param", ["sweep", "{x_param.toml}", "--dry-run"], ["procurement.rul", "did you mean"]),
    ("exp-design-point", ["sweep", "{x_points.toml}", "--dry-run"], ["design point 1", "more than 1"]),
    ("exp-column", ["sweep", "{x_column.toml}", "--dry-run"], ["outputs.columns", "integrityy"]),
    ("exp-unknown-bundled", ["sweep", "smok"], ["smok", "no bundled experiment"]),
    # sweep's flags
    ("sweep-out-file", ["sweep", "smoke", "--out", "{afile}"], ["afile", "--out", "not a folder"]),
    ("sweep-out-under-file", ["sweep", "smoke", "--out", "{afile}/sub"],
     ["afile/sub", "--out", "not a folder"]),
    ("sweep-out-proc", ["sweep", "smoke", "--out", "/proc/dmpsim-x"],
     ["/proc/dmpsim-x", "--out", "cannot create"]),
    ("sweep-scheduler-address", ["sweep", "smoke", "--scheduler", "not an address", "--out",
                                 "{dir}/s"], ["--scheduler", "not a scheduler address"]),
    ("sweep-retry-without-resume", ["sweep", "smoke", "--retry-errors", "--out", "{dir}/s"],
     ["--retry-errors", "--resume"]),
    ("sweep-code-change-without-resume", ["sweep", "smoke", "--allow-code-change"],
     ["--allow-code-change", "--resume"]),
    ("sweep-workers-zero", ["sweep", "smoke", "--workers", "0"], ["--workers", ">= 1"]),
    ("sweep-serial-workers", ["sweep", "smoke", "--backend", "serial", "--workers", "2", "--out",
                              "{dir}/s"], ["--workers", "serial"]),
    ("sweep-part-size", ["sweep", "smoke", "--part-size", "0"], ["--part-size", ">= 1"]),
    ("sweep-backend", ["sweep", "smoke", "--backend", "threads"], ["--backend", "invalid choice"]),
    # compare
    ("compare-one", ["compare", "baseline"], ["scenarios", "at least two"]),
    ("compare-steps-huge", ["compare", "baseline", "classroom", "--steps", "100000000000"],
     ["--steps", f"at most {MAX_STEPS}"]),
    ("compare-steps-negative", ["compare", "baseline", "classroom", "--steps", "-5"],
     ["--steps", ">= 1"]),
    ("compare-replications", ["compare", "baseline", "classroom", "--replications", "1"],
     ["--replications", ">= 2"]),
    ("compare-baseline", ["compare", "baseline", "classroom", "--baseline", "oversight_board"],
     ["--baseline", "not one of"]),
    ("compare-unknown", ["compare", "baseline", "clasroom"], ["clasroom", "did you mean"]),
    # sensitivity
    ("sensitivity-steps-huge", ["sensitivity", "morris_screening", "--steps", "100000000000"],
     ["--steps", f"at most {MAX_STEPS}"]),
    ("sensitivity-samples", ["sensitivity", "global_sensitivity", "--samples", "3"],
     ["--samples", "power of two"]),
    ("sensitivity-samples-huge", ["sensitivity", "morris_screening", "--samples",
                                  "100000000000"], ["design points"]),
    ("sensitivity-list", ["sensitivity", "{x_list.toml}", "--method", "sobol", "--out", "{dir}/x"],
     ["procurement.rule"]),
    # discover and plot
    ("discover-missing", ["discover", "{dir}/nowhere"], ["nowhere", "no such folder"]),
    ("discover-quantile", ["discover", "{dir}", "--quantile", "1.5"], ["--quantile"]),
    ("discover-empty", ["discover", "{dir}"], ["holds no sweep results"]),
    ("plot-missing", ["plot", "{dir}/nowhere"], ["nowhere", "no such folder"]),
    ("plot-format", ["plot", "{dir}", "--format", "gif"], ["--format", "invalid choice"]),
    # app
    ("app-scenario", ["app", "--scenario", "nonesuch"], ["nonesuch", "no bundled scenario"]),
    ("app-port", ["app", "--port", "70000"], ["--port", "65535"]),
    ("no-command", ["nosuchcommand"], ["invalid choice"]),
]


@pytest.fixture
def files(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def fill(argv: list[str], folder: Path) -> list[str]:
    out = []
    for word in argv:
        word = word.replace("{dir}", str(folder))
        for name in FILES:
            word = word.replace("{" + name + "}", str(folder / name))
        out.append(word)
    return out


@pytest.mark.parametrize(("argv", "fragments"), cases(CLI_CASES))
def test_bad_cli_input_is_one_line_with_exit_2(files, argv, fragments, monkeypatch):
    monkeypatch.chdir(files)
    status, _, stderr = cli(fill(argv, files))
    assert status == 2, stderr
    line = error_line(stderr)
    for fragment in fragments:
        assert fragment in line, (fragment, line)


def test_the_table_is_wide_enough():
    assert len(CLI_CASES) + len(API_CASES) >= 60
    commands = {argv[0] for _, argv, _ in CLI_CASES}
    assert commands >= {"run", "validate", "sweep", "compare", "sensitivity", "discover", "plot",
                        "app"}


def test_ten_to_the_400_is_refused_in_one_line(files):
    path = files / "vast.toml"
    path.write_text(HEAD + "[market]\nn_commissioners = 1" + "0" * 400 + "\n", encoding="utf-8")
    status, _, stderr = cli(["validate", str(path)])
    assert status == 2
    assert "outside" in error_line(stderr)


# -- the Python API ---------------------------------------------------------------------------

def _sweep_into_file(tmp):
    (tmp / "afile").write_text("x")
    dmpsim.sweep("smoke", out=tmp / "afile", backend="serial", progress=False)


API_CASES = [
    ("seed-negative", lambda t: dmpsim.run("classroom", seed=-1, steps=1), "seed"),
    ("seed-text", lambda t: dmpsim.run("classroom", seed="3", steps=1), "seed"),
    ("seed-float", lambda t: dmpsim.run("classroom", seed=1.5, steps=1), "seed"),
    ("seed-numpy-bool", lambda t: dmpsim.run("classroom", seed=np.bool_(True), steps=1), "seed"),
    ("steps-huge", lambda t: dmpsim.run("classroom", steps=10**11), "steps"),
    ("steps-numpy-float", lambda t: dmpsim.run("classroom", steps=np.float64(3.0)), "steps"),
    ("overrides-string", lambda t: dmpsim.run("classroom", steps=1, overrides="m"), "overrides"),
    ("overrides-int", lambda t: dmpsim.run("classroom", steps=1, overrides=5), "overrides"),
    ("overrides-inf", lambda t: dmpsim.run("classroom", steps=1,
                                           overrides={"pressure.outcome": float("inf")}),
     "pressure.outcome"),
    ("market-string", lambda t: dmpsim.DMPMarket("price"), "parameters"),
    ("market-rng", lambda t: dmpsim.DMPMarket(rng="x"), "rng"),
    ("sweep-retry", lambda t: dmpsim.sweep("smoke", out=t / "s", retry_errors=True,
                                           backend="serial", progress=False), "--retry-errors"),
    ("sweep-out-file", _sweep_into_file, "--out"),
    ("sweep-scheduler", lambda t: dmpsim.sweep("smoke", out=t / "s", scheduler="nowhere"),
     "--scheduler"),
    ("compare-steps", lambda t: __import__("dmpsim.analysis.compare", fromlist=["compare"])
     .compare(["baseline", "classroom"], steps=10**9, out=t / "c"), "--steps"),
    ("experiment-dict-steps", lambda t: __import__("dmpsim.experiments.files", fromlist=["x"])
     .load_experiment({"description": "x", "steps": 10**9,
                       "parameters": {"procurement.rule": ["price"]}}), "steps"),
]


@pytest.mark.parametrize(("call", "key"), cases(API_CASES))
def test_bad_api_input_raises_input_error(tmp_path, call, key):
    with pytest.raises(InputError) as info:
        call(tmp_path)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    assert key in message, message


# -- numpy and pandas values are numbers --------------------------------------------------------

def test_numpy_seeds_steps_and_the_rerun_recipe(tmp_path):
    base = dmpsim.run("classroom", seed=3, steps=12)
    again = dmpsim.run("classroom", seed=np.int64(3), steps=np.int64(12))
    assert again.steps == 12 and type(again.seed) is int
    assert again.summary == base.summary
    # docs/sweeps.md: re-run a row of a sweep with its own (numpy) values.
    from dmpsim.experiments.files import load_experiment

    table = {"description": "numpy values", "scenario": "classroom", "steps": 6,
             "replications": 1,
             "parameters": {"procurement.rule": ["price", "quality"],
                            "market.n_commissioners": [20, 30],
                            "governance.oversight_board": [True, False],
                            "large_firms.bid_rate": [0.3]}}
    exp = load_experiment(table)
    runs = dmpsim.sweep(exp, out=tmp_path / "s", backend="serial", progress=False)
    for i in (0, len(runs) - 1):
        row = runs.iloc[i]
        assert isinstance(row["market.n_commissioners"], np.integer | int)
        result = dmpsim.run(exp.scenario, seed=row.seed, steps=exp.steps,
                            overrides={k: row[k] for k in exp.keys})
        assert result.summary["integrity_mean"] == pytest.approx(row["integrity_mean"],
                                                                 nan_ok=True)
    summary = again.summary
    assert all(type(v) in (int, float, bool, str) or v is None for v in summary.values()), {
        k: type(v) for k, v in summary.items()}
    json.dumps(summary)


def test_compare_help_prints_a_plain_percent_sign():
    status, out, _ = cli(["compare", "--help"])
    assert status == 0 and "95%" in out and "95%%" not in out


def test_interrupt_hint_repeats_the_scheduler(monkeypatch, tmp_path):
    from dmpsim.cli import build_parser, resume_command

    sweep_module = sys.modules["dmpsim.experiments.sweeps"]   # `import dmpsim.sweep` gives the function

    args = build_parser().parse_args(["sweep", "smoke", "--scheduler", "tcp://10.0.0.5:8786",
                                      "--out", str(tmp_path)])
    hint = resume_command(args, tmp_path)
    assert "--scheduler tcp://10.0.0.5:8786" in hint and hint.endswith("--resume")

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "sweep", interrupted)
    status, _, stderr = cli(["sweep", "smoke", "--scheduler", "tcp://10.0.0.5:8786", "--out",
                             str(tmp_path), "--quiet"])
    assert status == 130
    assert "--scheduler tcp://10.0.0.5:8786" in stderr and "--resume" in stderr


@pytest.mark.parametrize("argv", [
    ["run", "classroom", "--steps", "100000000000"],
    ["validate", "{inf.toml}"],
    ["sweep", "smoke", "--out", "{afile}"],
    ["sweep", "smoke", "--scheduler", "not an address", "--out", "{dir}/s"],
    ["sweep", "{x_num.toml}", "--dry-run"],
])
def test_a_real_process_prints_no_traceback(files, argv):
    done = subprocess.run([sys.executable, "-m", "dmpsim.cli", *fill(argv, files)], cwd=files,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    error_line(done.stderr)


def test_summary_holds_plain_python_numbers():
    result = dmpsim.run("classroom", steps=6)
    bad = {k: type(v).__name__ for k, v in result.summary.items()
           if not (v is None or type(v) in (int, float, bool, str))}
    assert not bad, bad
    assert isinstance(pd.Series(result.summary), pd.Series)
