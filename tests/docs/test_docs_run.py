"""Documentation that runs: every command and Python block of README.md and docs/*.md
(docs/ODD.md aside) is run, as written, in a fresh copy of the project, one per document.

What is taken from a document, in order:

- shell commands: every line of a ```sh / ```bash block, the ``$ `` lines of a ```console block
  (its other lines are output; output with ``dmpsim: error:`` means the command must exit 2),
  and the lines of an unlabelled block that start with ``dmpsim``, ``python`` or ``.venv/bin/``
  (a usage synopsis, ``dmpsim sweep EXPERIMENT [--workers N] ...``, is not a command);
- ```python blocks, each run as a script of its own (as a reader would save and run it);
- ```toml blocks: a scenario or experiment is checked with ``dmpsim validate`` or
  ``dmpsim sweep --dry-run``; a block followed by "Saved as `NAME`" is written to NAME first.

How each is checked:

- ``dmpsim ...`` and Python blocks run for real, with small sizes: a ``sitecustomize`` module
  (on PYTHONPATH for these processes only) caps every run at ``DMPSIM_DOC_STEPS`` months, every
  experiment of more than 48 runs at 2 replications (1 for a sampling design) and a sampling
  design at a few points. The commands themselves
  are not rewritten. A command must exit 0 (or 2 where the document shows its error), within
  its time limit, and write where the text says: its ``--out``, else the documented default
  folder, and nothing outside ``results/``.
- README.md's commands run with the PATH that ``make`` leaves (no virtual environment on it: the
  README says ``.venv/bin/dmpsim``); docs/*.md assume an installed dmpsim (the environment's
  ``bin`` on PATH).
- ``dmpsim app`` is started, must print its address, and must stop cleanly on SIGTERM (on a free
  port, in case the documented one is busy).
- Blocks that need a cluster or Slurm (``HOST``, ``dask scheduler``/``worker``, ``srun``,
  ``SLURMCluster``), or that say so with ``<!-- doc-test: needs-cluster -->``, are checked for
  syntax, undefined names and imports (and the program must be on PATH); a Python block marked
  ``<!-- doc-test: fragment -->`` (a formula shown for reading) for syntax only. ``make``
  targets are checked with ``make -n``; ``pip install`` is not run (no network).
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import ROOT

VENV_BIN = Path(sys.executable).parent
DOCS = [ROOT / "README.md",
        *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "ODD.md")]
DOC_STEPS = 72          # six years: large firms (entering in year 5) are in the runs
COMMAND_TIMEOUT = 240   # seconds; a command that takes longer "hangs"
OPTIONAL_MODULES = {"dask_jobqueue"}   # documented as a separate install
CLUSTER = re.compile(r"\bHOST\b|scheduler-file|scheduler\.json|\bsrun\b|\bsalloc\b|SLURMCluster"
                     r"|dask_jobqueue|^(\.venv/bin/)?dask\s+(scheduler|worker)\b")
MARKER = re.compile(r"<!--\s*doc-test:\s*([\w-]+)")

SHIM = '''
"""Small sizes for the documentation test (tests/docs/test_docs_run.py); not part of dmpsim."""
import os

STEPS = int(os.environ["DMPSIM_DOC_STEPS"])
REPLICATIONS = 2
RUNS = 48
SAMPLES = {"sobol": 4, "lhs": 16, "morris": 4, "random": 16}


def _install():
    import dmpsim.experiments.files as files
    import dmpsim.experiments.run as runner
    import dmpsim.experiments.scenario as scenario

    check_steps = runner.check_steps

    def capped_steps(steps, key="steps", source=None):
        return min(check_steps(steps, key, source), STEPS)

    runner.check_steps = capped_steps
    effective = scenario.Scenario.effective

    def capped_effective(self):
        values = effective(self)
        values["run.steps"] = min(values["run.steps"], STEPS)
        return values

    scenario.Scenario.effective = capped_effective
    parse = files.parse_experiment

    def small_experiment(table, *args, **kwargs):
        if not isinstance(table, dict):
            return parse(table, *args, **kwargs)
        table = dict(table)
        design = table.get("design")
        if isinstance(design, dict):
            design = dict(design)
            key = "trajectories" if design.get("type") == "morris" else "samples"
            limit = SAMPLES.get(design.get("type"))
            if limit and isinstance(design.get(key), int):
                design[key] = min(design[key], limit)
            table["design"] = design
        parsed = parse(table, *args, **kwargs)
        if parsed.n_runs <= RUNS:
            return parsed
        # Sampling designs average replications: one is enough to run the analysis.
        table["replications"] = 1 if parsed.design in SAMPLES else min(parsed.replications,
                                                                       REPLICATIONS)
        return parse(table, *args, **kwargs)

    # load_experiment looks parse_experiment up in its module at each call; the analyses that
    # import it by name (analysis.compare, analysis.sensitivity_run) are imported after this
    # runs, so they bind the small version too (test_the_shim_only_shrinks checks both).
    files.parse_experiment = small_experiment


if os.environ.get("DMPSIM_DOC_STEPS"):
    _install()
'''


# -- extraction -------------------------------------------------------------------------------

@dataclass
class Step:
    kind: str              # "shell", "python", "toml"
    text: str
    line: int              # where it starts in the document
    mode: str = "run"      # shell: run | make | pip | cluster | app; python: run | cluster | fragment
    expect_error: bool = False
    save_as: str | None = None
    notes: list[str] = field(default_factory=list)


def _blocks(text: str):
    """(language, body lines, first line number, marker, the text after the block)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if not match:
            i += 1
            continue
        indent, lang = match.group(1), match.group(2)
        start = i
        body = []
        i += 1
        while i < len(lines) and not re.match(rf"^{re.escape(indent)}```\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        marker = None
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and (m := MARKER.search(lines[j])):
            marker = m.group(1)
        after = ""
        k = i + 1
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k < len(lines):
            after = lines[k]
        yield lang, body, start + 2, marker, after
        i += 1


def _joined(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Join continuation lines (ending in a backslash)."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in lines:
        if pending is not None:
            pending = (pending[0], pending[1] + " " + line.strip())
        else:
            pending = (number, line.strip())
        if pending[1].endswith("\\"):
            pending = (pending[0], pending[1][:-1].rstrip())
            continue
        out.append(pending)
        pending = None
    if pending is not None:
        out.append(pending)
    return out


def _shell_mode(command: str) -> str:
    first = shlex.split(command, comments=True)[0] if command.strip() else ""
    name = first.rsplit("/", 1)[-1]
    if name == "make":
        return "make"
    if name == "pip" or command.startswith("python -m pip"):
        return "pip"
    if CLUSTER.search(command):
        return "cluster"
    words = shlex.split(command, comments=True)
    if name == "dmpsim" and len(words) > 1 and words[1] == "app":
        return "app"
    return "run"


def extract(path: Path) -> list[Step]:
    steps: list[Step] = []
    for lang, body, line, marker, after in _blocks(path.read_text(encoding="utf-8")):
        numbered = list(enumerate(body, start=line))
        if lang in ("sh", "bash", "shell"):
            for number, command in _joined(numbered):
                if command and not command.startswith("#"):
                    steps.append(Step("shell", command, number, _shell_mode(command)))
        elif lang == "console":
            commands = []
            for number, text in numbered:
                if text.startswith("$ "):
                    commands.append([number, text[2:], []])
                elif commands:
                    commands[-1][2].append(text)
            for number, command, output in commands:
                for n, joined in _joined([(number, command)]):
                    steps.append(Step("shell", joined, n, _shell_mode(joined),
                                      expect_error=any("dmpsim: error:" in o for o in output)))
        elif lang == "":
            wanted = [(n, t) for n, t in numbered
                      if re.match(r"^(dmpsim|python|\.venv/bin/)\S*\s", t.strip())]
            for number, command in _joined(_continued(numbered, wanted)):
                if "[--" in command:      # a usage synopsis, not a command
                    continue
                steps.append(Step("shell", command, number, _shell_mode(command)))
        elif lang == "python":
            code = "\n".join(body) + "\n"
            mode = "run"
            if marker == "fragment":
                mode = "fragment"
            elif marker == "needs-cluster" or CLUSTER.search(code):
                mode = "cluster"
            steps.append(Step("python", code, line, mode))
        elif lang == "toml":
            saved = re.search(r"Saved as `([^`]+)`", after)
            steps.append(Step("toml", "\n".join(body) + "\n", line,
                              save_as=saved.group(1) if saved else None))
    return steps


def _continued(numbered: list[tuple[int, str]], wanted: list[tuple[int, str]]
               ) -> list[tuple[int, str]]:
    """The wanted lines of an unlabelled block with their continuation lines."""
    keep = {n for n, _ in wanted}
    out = []
    carry = False
    for number, text in numbered:
        if number in keep or carry:
            out.append((number, text))
            carry = text.rstrip().endswith("\\")
    return out


# -- running ----------------------------------------------------------------------------------

def _env(doc: Path, shim_dir: Path) -> dict[str, str]:
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep)
            if p and Path(p).resolve() != VENV_BIN.resolve()]
    if doc.name != "README.md":
        path.insert(0, str(VENV_BIN))
    env = dict(os.environ, PATH=os.pathsep.join(path), DMPSIM_DOC_STEPS=str(DOC_STEPS),
               PYTHONPATH=os.pathsep.join(filter(None, [str(shim_dir),
                                                        os.environ.get("PYTHONPATH")])),
               MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    env.pop("VIRTUAL_ENV", None)
    return env


def _sandbox(tmp_path: Path) -> tuple[Path, Path, Path]:
    box = tmp_path / "project"
    box.mkdir()
    for name in ("scenarios", "experiments", "benchmarks"):
        shutil.copytree(ROOT / name, box / name)
    (box / ".venv").symlink_to(VENV_BIN.parent, target_is_directory=True)
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SHIM, encoding="utf-8")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    return box, shim, scripts


def _files(box: Path) -> set[str]:
    return {p.name for p in box.iterdir() if p.name != ".venv"}


def _expected_outputs(command: str) -> list[str]:
    """Where the documentation says a dmpsim command writes (its --out, or the default)."""
    words = shlex.split(command, comments=True)
    if not words or words[0].rsplit("/", 1)[-1] != "dmpsim" or len(words) < 2:
        return []
    sub, rest = words[1], words[2:]
    if "--help" in rest or "--dry-run" in rest:
        return []
    if "--out" in rest:
        return [rest[rest.index("--out") + 1]]
    positional = [rest[0]] if rest and not rest[0].startswith("-") else []
    target = Path(positional[0]).stem if positional else "baseline"
    if sub == "run":
        seed = rest[rest.index("--seed") + 1] if "--seed" in rest else "0"
        return [f"results/{target}-seed{seed}"]
    if sub == "sweep":
        return [f"results/sweeps/{target}"]
    if sub == "sensitivity":
        method = rest[rest.index("--method") + 1] if "--method" in rest else None
        if method is None:
            from dmpsim.experiments.files import load_experiment

            method = load_experiment(target).design
        return [f"results/sensitivity/{target}-{method}"]
    if sub == "discover" and positional:
        metric = rest[rest.index("--metric") + 1] if "--metric" in rest else "integrity_mean"
        return [f"{positional[0]}/discovery-{metric}"]
    if sub == "plot" and positional:
        return [f"{positional[0]}/figures"]
    return []


def _where(doc: Path, step: Step) -> str:
    return f"{doc.relative_to(ROOT)}:{step.line}"


def _tail(text: str, n: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-n:])


def run_shell(doc: Path, step: Step, box: Path, env: dict[str, str]) -> None:
    where = _where(doc, step)
    if step.mode == "pip":
        return
    if step.mode == "make":
        target = shlex.split(step.text, comments=True)[1:]
        done = subprocess.run(["make", "-n", *target], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, f"{where}: `{step.text}`: no such make target\n{done.stderr}"
        return
    words = shlex.split(step.text, comments=True)
    if step.mode == "cluster":
        check = subprocess.run(["bash", "-n", "-c", step.text], capture_output=True, text=True)
        assert check.returncode == 0, f"{where}: `{step.text}`: {check.stderr}"
        program = words[1] if words[0] in ("srun", "salloc") else words[0]
        if program.rsplit("/", 1)[-1] in ("dask", "dmpsim"):   # ours, not Slurm's
            found = (box / program).exists() if "/" in program else shutil.which(
                program, path=env["PATH"])
            assert found, (f"{where}: `{program}` is not on the PATH a reader of {doc.name} "
                           f"has (write .venv/bin/{program} in README.md)")
        return
    if step.mode == "app":
        run_app(where, step.text, box, env)
        return
    before = _files(box)
    try:
        done = subprocess.run(["bash", "-c", step.text], cwd=box, env=env, capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{where}: `{step.text}` did not finish within {COMMAND_TIMEOUT} s")
    expected = 2 if step.expect_error else 0
    assert done.returncode == expected, (
        f"{where}: `{step.text}` exited {done.returncode} (expected {expected})\n"
        f"{_tail(done.stdout, 10)}\n{_tail(done.stderr)}")
    if step.expect_error:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dmpsim: error:"), (where, done.stderr)
        return
    new = _files(box) - before
    assert new <= {"results"}, f"{where}: `{step.text}` wrote outside results/: {sorted(new)}"
    for out in _expected_outputs(step.text):
        assert (box / out).exists(), (f"{where}: `{step.text}` should have written {out}, as "
                                       f"the documentation says; it did not")


def run_app(where: str, command: str, box: Path, env: dict[str, str]) -> None:
    from dmpsim.app.server import check_app_installed, free_port

    try:
        check_app_installed()
    except Exception as exc:  # noqa: BLE001 - the extra is optional outside `make`
        pytest.skip(f"app extra not installed: {exc}")
    words = shlex.split(command, comments=True)
    port = str(free_port())
    if "--port" in words:
        words[words.index("--port") + 1] = port
    else:
        words += ["--port", port]
    program = words[0] if "/" in words[0] else shutil.which(words[0], path=env["PATH"])
    assert program, f"{where}: `{words[0]}` is not on the PATH"
    app = subprocess.Popen(words, cwd=box, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        seen = []
        for line in app.stdout:
            seen.append(line)
            if "is at http" in line or time.monotonic() > deadline:
                break
        assert any(f":{port}/" in line for line in seen), f"{where}: {''.join(seen)[-2000:]}"
        app.send_signal(signal.SIGTERM)
        app.wait(30)
        assert app.returncode == 0, f"{where}: `dmpsim app` exited {app.returncode} on SIGTERM"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def _undefined_names(code: str) -> str:
    check = subprocess.run([str(VENV_BIN / "ruff"), "check", "--isolated", "--select", "F821",
                            "--output-format", "concise", "--stdin-filename", "block.py", "-"],
                           input=code, capture_output=True, text=True)
    return "" if check.returncode == 0 else check.stdout


def _imports(code: str) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def run_python(doc: Path, step: Step, box: Path, scripts: Path, env: dict[str, str]) -> None:
    where = _where(doc, step)
    try:
        compile(step.text, where, "exec")
    except SyntaxError as exc:
        pytest.fail(f"{where}: Python block does not parse: {exc}")
    if step.mode == "fragment":
        return
    if step.mode == "cluster":
        undefined = _undefined_names(step.text)
        assert not undefined, f"{where}: undefined names:\n{undefined}"
        probe = ("import importlib, sys\nmissing = []\nfor name in sys.argv[1:]:\n"
                 "    try:\n        importlib.import_module(name)\n"
                 "    except ModuleNotFoundError as exc:\n"
                 f"        if exc.name.split('.')[0] not in {sorted(OPTIONAL_MODULES)!r}:\n"
                 "            missing.append(name)\nprint(' '.join(missing))\n")
        done = subprocess.run([sys.executable, "-c", probe, *_imports(step.text)], cwd=box,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and not done.stdout.strip(), (
            f"{where}: cannot import {done.stdout.strip()}\n{_tail(done.stderr)}")
        return
    script = scripts / f"{doc.stem}_{step.line}.py"
    script.write_text(step.text, encoding="utf-8")
    before = _files(box)
    try:
        done = subprocess.run([sys.executable, str(script)], cwd=box, env=env,
                              capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{where}: the Python block did not finish within {COMMAND_TIMEOUT} s "
                    "(a script that starts processes needs `if __name__ == \"__main__\":`)")
    assert done.returncode == 0, f"{where}: the Python block failed:\n{_tail(done.stderr)}"
    new = _files(box) - before
    assert new <= {"results"}, f"{where}: the block wrote outside results/: {sorted(new)}"
    for out in re.findall(r"out=\"([^\"]+)\"", step.text):
        assert (box / out).exists(), f"{where}: the block should have written {out}"


def run_toml(doc: Path, step: Step, box: Path, scripts: Path, env: dict[str, str]) -> None:
    where = _where(doc, step)
    import tomllib

    try:
        table = tomllib.loads(step.text)
    except tomllib.TOMLDecodeError as exc:
        pytest.fail(f"{where}: TOML block does not parse: {exc}")
    if "description" not in table:
        return   # a fragment of a file
    path = box / step.save_as if step.save_as else scripts / f"{doc.stem}_{step.line}.toml"
    path.write_text(step.text, encoding="utf-8")
    experiment = "parameters" in table or "design" in table
    command = ([str(VENV_BIN / "dmpsim"), "sweep", str(path), "--dry-run"] if experiment
               else [str(VENV_BIN / "dmpsim"), "validate", str(path)])
    done = subprocess.run(command, cwd=box, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{where}: the TOML block is not valid:\n{_tail(done.stderr)}"


# -- the tests --------------------------------------------------------------------------------

def test_every_document_has_steps_and_markers_are_known():
    """Cheap checks (parsing only): the extraction finds the documented commands."""
    for doc in DOCS:
        steps = extract(doc)
        assert steps, f"{doc.name}: no commands or blocks found"
        for match in MARKER.finditer(doc.read_text(encoding="utf-8")):
            assert match.group(1) in ("fragment", "needs-cluster"), (doc.name, match.group(0))
    readme = {s.text for s in extract(ROOT / "README.md") if s.kind == "shell"}
    assert ".venv/bin/dmpsim sweep smoke" in {c.split("#")[0].strip() for c in readme}


def test_python_blocks_parse_and_name_nothing_undefined():
    """Every Python block compiles, and none but marked fragments uses an undefined name."""
    for doc in DOCS:
        for step in extract(doc):
            if step.kind != "python":
                continue
            compile(step.text, _where(doc, step), "exec")
            if step.mode != "fragment":
                assert not _undefined_names(step.text), (_where(doc, step),
                                                         _undefined_names(step.text))


def test_speed_claims_quote_a_benchmark():
    """A time or rate in the documentation comes with the benchmark command that measured it."""
    claim = re.compile(r"\b(under|about|within|in) (a|one|a few|\d[\d.,]*) (minute|second)s?\b"
                       r"|\ba few (minute|second)s\b|\bminutes? on \d+ cores?\b")
    topic = re.compile(r"\bruns?\b|\bcores?\b|\bsweep")
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not (claim.search(line) and topic.search(line)):
                continue
            # The paragraph around the claim must name the benchmark that measured it.
            first = number - 1
            while first > 0 and lines[first - 1].strip():
                first -= 1
            last = number - 1
            while last + 1 < len(lines) and lines[last + 1].strip():
                last += 1
            if "benchmarks/" not in " ".join(lines[first:last + 1]):
                pytest.fail(f"{doc.name}:{number}: a speed claim without its benchmark: {line}")


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_documented_commands_run_as_written(doc, tmp_path):
    box, shim, scripts = _sandbox(tmp_path)
    env = _env(doc, shim)
    for step in extract(doc):
        if step.kind == "toml":
            run_toml(doc, step, box, scripts, env)
        elif step.kind == "shell":
            run_shell(doc, step, box, env)
        else:
            run_python(doc, step, box, scripts, env)


def test_the_shim_only_shrinks(tmp_path):
    """The small sizes change lengths and counts, nothing else a command does."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SHIM, encoding="utf-8")
    code = textwrap.dedent("""
        import dmpsim
        from dmpsim.analysis import compare, sensitivity_run
        from dmpsim.experiments import files
        from dmpsim.experiments.files import load_experiment
        r = dmpsim.run("baseline", steps=500)
        e = load_experiment("safety_net")
        print(r.steps, e.replications, e.n_points)
        # Every caller of parse_experiment gets the small version.
        small = files.parse_experiment
        assert small.__name__ == "small_experiment", small
        assert compare.parse_experiment is small and sensitivity_run.parse_experiment is small
    """)
    env = dict(os.environ, DMPSIM_DOC_STEPS="12",
               PYTHONPATH=os.pathsep.join(filter(None, [str(shim), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["12", "2", "36"]      # safety_net: 10 replications
