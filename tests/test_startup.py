"""Start-up: `import dmpsim` and the commands that run no model import no heavy library.

What is checked is which modules are loaded (in a fresh interpreter), not how long it takes:
the times themselves are measured by benchmarks/commands.py. The public names must still work
once the heavy modules are imported on first use.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import version

import mesa
import pytest

import dmpsim

HEAVY = ("mesa", "pandas", "scipy", "pyarrow", "matplotlib")


def loaded_after(code: str) -> dict:
    """Run `code` in a fresh interpreter; the heavy top-level packages it loaded, and its
    standard output."""
    body = textwrap.indent(textwrap.dedent(code).strip(), " " * 8)
    probe = "\n".join([
        "import contextlib, io, json, sys",
        "out = io.StringIO()",
        "with contextlib.redirect_stdout(out):",
        "    try:",
        body,
        "    except SystemExit:",
        "        pass",
        f"heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)",
        'print(json.dumps({"heavy": heavy, "stdout": out.getvalue()}))',
    ])
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_dmpsim_loads_no_heavy_library():
    found = loaded_after("import dmpsim")
    assert found["heavy"] == []


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["sweep", "--help"],
                                  ["compare", "--help"]])
def test_commands_that_run_no_model_load_no_heavy_library(argv):
    # What the `dmpsim` console script does: import dmpsim.cli, call main().
    found = loaded_after(f"""
        sys.argv = ["dmpsim", *{argv!r}]
        from dmpsim.cli import main
        main()
    """)
    assert found["heavy"] == []
    if argv == ["--version"]:
        assert found["stdout"].strip() == f"dmpsim {version('dmpsim')}"
    else:
        assert found["stdout"].startswith("usage: dmpsim")


def test_the_probe_sees_heavy_imports():
    # The checks above would pass vacuously if the probe could not see a heavy import.
    found = loaded_after("import dmpsim; dmpsim.DMPMarket")
    assert {"mesa", "pandas"} <= set(found["heavy"])


def test_public_names_work_when_imported_lazily():
    from dmpsim import DMPMarket, run, sweep

    assert dmpsim.__version__ == version("dmpsim")
    assert issubclass(DMPMarket, mesa.Model) and dmpsim.DMPMarket is DMPMarket
    assert dmpsim.run is run
    result = run("classroom", seed=2, steps=3)
    assert result.steps == 3 and "integrity_mean" in result.summary
    model = dmpsim.DMPMarket({"procurement.rule": "price"}, rng=1)
    model.step()
    # `dmpsim.sweep` is the function; the module that defines it has another name.
    assert sweep is dmpsim.sweep and sweep.__module__ == "dmpsim.experiments.sweeps"
    assert callable(dmpsim.sweep) and not isinstance(dmpsim.sweep, type(sys))
    assert {"DMPMarket", "run", "sweep", "RunResult"} <= set(dir(dmpsim))
    with pytest.raises(AttributeError, match="no_such_name"):
        dmpsim.no_such_name  # noqa: B018


@pytest.mark.parametrize("first", [
    "from dmpsim.sweep import read_results",   # the deprecated module path
    "import dmpsim.sweep as m; assert callable(m) and m.__name__ == 'sweep'",
    "from dmpsim import sweep",
])
def test_sweep_is_the_function_whatever_is_imported_first(first):
    found = loaded_after(f"""
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        {first}
        import types
        import dmpsim
        from dmpsim.experiments import sweeps
        assert not isinstance(dmpsim.sweep, types.ModuleType), dmpsim.sweep
        assert dmpsim.sweep is sweeps.sweep
        print("ok")
    """)
    assert found["stdout"].strip() == "ok"


@pytest.mark.parametrize("old, new, name", [
    ("dmpsim.scenario", "dmpsim.experiments.scenario", "load_scenario"),
    ("dmpsim.runner", "dmpsim.experiments.run", "RunResult"),
    ("dmpsim.metrics", "dmpsim.experiments.tables", "SUMMARY_KEYS"),
    ("dmpsim.patterns", "dmpsim.experiments.patterns", "PATTERN_FIGURES"),
    ("dmpsim.outputs", "dmpsim.io.atomic", "atomic_write_text"),
    ("dmpsim.outputs", "dmpsim.experiments.run_folder", "write_run"),
    ("dmpsim.experiment", "dmpsim.experiments.files", "load_experiment"),
    ("dmpsim.experiment", "dmpsim.experiments.design", "run_seed"),
    ("dmpsim.experiment", "dmpsim.experiments.factors", "Factor"),
    ("dmpsim.experiment", "dmpsim.experiments.samplers", "_factorial"),
    ("dmpsim.sweep", "dmpsim.io.sweep_folder", "read_results"),
])
def test_moved_modules_warn_and_give_the_same_names(old, new, name):
    found = loaded_after(f"""
        import importlib, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            old = importlib.import_module({old!r})
        assert any(issubclass(w.category, DeprecationWarning) and {new!r}.rsplit(".", 1)[0]
                   in str(w.message) for w in caught), [str(w.message) for w in caught]
        assert getattr(old, {name!r}) is getattr(importlib.import_module({new!r}), {name!r})
        print("ok")
    """)
    assert found["stdout"].strip() == "ok"


@pytest.mark.parametrize("first", [
    "from dmpsim.analysis.ablate import ABLATION_METRICS",
    "import dmpsim.analysis.ablate",
    "from dmpsim.analysis import ablate",
    "import dmpsim.analysis",
])
def test_analysis_ablate_is_the_function_whatever_is_imported_first(first):
    found = loaded_after(f"""
        {first}
        import types
        import dmpsim.analysis
        assert not isinstance(dmpsim.analysis.ablate, types.ModuleType)
        assert dmpsim.analysis.ablate is sys.modules["dmpsim.analysis.ablate"].ablate
        print("ok")
    """)
    assert found["stdout"].strip() == "ok"
