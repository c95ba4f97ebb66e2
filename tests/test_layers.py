"""The package is a stack of layers, and imports point one way: down.

    rank 7   dmpsim.cli, dmpsim.app        the command line and the classroom app, on top
    rank 6   dmpsim.analysis (workflows)   compute, write and report (compare, ablate, ...)
    rank 5   dmpsim.viz                    figures, drawn from results
    rank 4   analysis methods and results  data in, numbers out; the workflows' result types
    rank 3   dmpsim.experiments            scenario files, one run, tables, designs, sweeps
    rank 2   dmpsim.io                     atomic writing, provenance, reading result folders
    rank 1   dmpsim.model                  the model only
    rank 0   dmpsim.errors                 the one error type

A module may import its own layer and the layers below it, never a layer above. The analysis
package spans three ranks: its *methods* (`stats`, `prim`, `sensitivity`, `targets`, `abc`,
`ensemble`, `statistics`) take data in and give numbers out, and of dmpsim import `dmpsim.errors` and each
other only; its
result types (`analysis.results`) are what the figures read; its workflows and reports draw
figures through `dmpsim.viz`, which sits between them. Within the top rank, app may not import
cli, and cli imports app only to start it (`dmpsim.app.serve`,
`dmpsim.app.play.server.serve_game`).

Why: a reader finds each thing in the layer where they expect it, a change to an upper layer
cannot break a lower one, and the model can be used without files, plots, Dask or a browser.
There are no import cycles either (lazy imports included), so the modules can be read, and
understood, from the bottom up. And every import names a module that exists and a name that
module defines, so that a lazy import left behind when code moves fails here, not when it runs.

Exempt: `dmpsim/__init__.py`, the front door, which re-exports names from any layer (as an
import target it ranks with the top layer), and the deprecated alias modules at the top level,
which go in dmpsim 0.3 (no layered module may import them). Any other top-level module must
belong to a layer.

The graph is read from the source with `ast`, not by importing: every `import` and
`from ... import` in a file counts, at module level or inside a function (a lazy import is still
a dependency), except in an `if TYPE_CHECKING:` block (annotations only). `from P import name`,
where `P.name` is a module, is an import of `P.name`; otherwise of `P`. `import_module("...")`
counts too; with a computed name, the module names written as strings in the file count (as in
the PEP 562 `__getattr__` of a package `__init__`, which looks its names up in a table).
Importing a submodule also runs its package's `__init__`; that implicit step is not an edge, so
a package `__init__` that lazily re-exports its submodules makes a cycle only if one of them
imports the package itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from support import ROOT

SRC = ROOT / "src"
PACKAGE = "dmpsim"

#: Data in, numbers out: of dmpsim, these import only the modules listed.
METHODS = frozenset({"dmpsim.analysis.stats", "dmpsim.analysis.prim",
                     "dmpsim.analysis.sensitivity", "dmpsim.analysis.targets",
                     "dmpsim.analysis.abc", "dmpsim.analysis.ensemble",
                     "dmpsim.analysis.statistics"})
METHODS_MAY_IMPORT = frozenset({"dmpsim.errors"})
#: Each layer (a subpackage or a module; the longest prefix decides) and its rank: a module
#: imports only ranks <= its own.
LAYERS = {
    "dmpsim.errors": 0,
    "dmpsim.model": 1,
    "dmpsim.io": 2,
    "dmpsim.experiments": 3,
    **dict.fromkeys(METHODS, 4),
    "dmpsim.analysis.results": 4,
    "dmpsim.viz": 5,
    "dmpsim.analysis": 6,
    "dmpsim.cli": 7,
    "dmpsim.app": 7,
}
#: The package's public names; it may import anything. Only the top layer may import it.
FRONT_DOOR = "dmpsim"
FRONT_DOOR_RANK = 7
#: Old module paths that warn and go in 0.3, and their helper. Nothing layered imports them.
DEPRECATED = frozenset({
    "dmpsim._deprecated", "dmpsim.scenario", "dmpsim.runner", "dmpsim.metrics",
    "dmpsim.patterns", "dmpsim.outputs", "dmpsim.experiment", "dmpsim.sweep", "dmpsim.plots",
})
#: Same rank, but one way only: (importer's layer, imported layer) pairs that are forbidden.
FORBIDDEN_SIDEWAYS = {("dmpsim.app", "dmpsim.cli")}
#: What the CLI may import of the app: what starts it (`serve`, `serve_game`).
CLI_STARTS_APP = frozenset({"dmpsim.app", "dmpsim.app.play.server"})


# -- reading the graph ------------------------------------------------------------------------

@dataclass(frozen=True)
class Edge:
    source: str     # the importing module
    target: str     # the imported module (dmpsim modules only)
    line: int


def module_name(path: Path, src: Path = SRC) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def package_files() -> dict[str, Path]:
    """Module name -> its file, for every module of the package."""
    return {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def is_package(name: str, modules: Iterable[str]) -> bool:
    """A module is a package if other modules live inside it (true of every package here)."""
    return any(other.startswith(name + ".") for other in modules)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
            or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node of the tree, except those under `if TYPE_CHECKING:` (its `else` stays)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _resolve(module: str | None, level: int, importer: str, package: bool) -> str:
    """The absolute name of `from <level dots><module> import ...` written in `importer`."""
    if not level:
        return module or ""
    base = importer.split(".") if package else importer.split(".")[:-1]
    if level - 1 >= len(base):
        raise ValueError(f"{importer}: relative import beyond the top-level package")
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def _import_module_calls(nodes: Iterable[ast.AST]) -> list[ast.Call]:
    def callee(func: ast.expr) -> str | None:
        return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)

    return [n for n in nodes if isinstance(n, ast.Call) and callee(n.func) == "import_module"]


def _named_in_strings(tree: ast.AST, importer: str, package: bool,
                      modules: set[str]) -> list[tuple[str, int]]:
    """Modules a computed `import_module` may load: the module names written as strings
    (`"dmpsim.x"`, `".x"` and, in a package, a bare submodule name `"x"` that is a dict's value,
    as in a PEP 562 table of public name -> home module)."""
    dict_values = {id(v) for d in ast.walk(tree) if isinstance(d, ast.Dict) for v in d.values}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if text.startswith(".") and all(p.isidentifier() for p in text.lstrip(".").split(".")):
            level = len(text) - len(text.lstrip("."))
            try:
                candidate = _resolve(text[level:], level, importer, package)
            except ValueError:      # more dots than packages: not a module name
                continue
        elif _ours(text):
            candidate = text
        elif package and text.isidentifier() and id(node) in dict_values:
            candidate = f"{importer}.{text}"
        else:
            continue
        if candidate in modules:
            found.append((candidate, node.lineno))
    return found


def imports_of(name: str, source: str, modules: set[str]) -> list[Edge]:
    """The dmpsim modules that module `name` (whose text is `source`) imports at run time."""
    package = is_package(name, modules)
    tree = ast.parse(source, filename=name)
    nodes = list(_runtime_nodes(tree))
    found: list[tuple[str, int]] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, name, package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in modules else base, node.lineno))
    for call in _import_module_calls(nodes):
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            level = len(first.value) - len(first.value.lstrip("."))
            found.append((_resolve(first.value[level:] or None, level, name, package),
                          call.lineno))
        else:
            found += _named_in_strings(tree, name, package, modules)
    return sorted({Edge(name, target, line) for target, line in found
                   if _ours(target) and target != name}, key=lambda e: (e.line, e.target))


def names_imported(name: str, source: str, modules: set[str]) -> list[tuple[str, str, int]]:
    """(module, name, line) for each `from module import name` of a dmpsim module where `name`
    is not a submodule: a name that module must define."""
    package = is_package(name, modules)
    out = []
    for node in _runtime_nodes(ast.parse(source, filename=name)):
        if isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, name, package)
            out += [(base, alias.name, node.lineno) for alias in node.names
                    if _ours(base) and alias.name != "*" and f"{base}.{alias.name}" not in modules]
    return sorted(out, key=lambda found: found[2])


BODIES = ("body", "orelse", "finalbody", "handlers")


def _stored(value: object) -> Iterable[str]:
    """The names a statement's header (a target, `with ... as x`, `except ... as x`) binds."""
    for part in value if isinstance(value, list) else [value]:
        if isinstance(part, ast.AST):
            yield from (n.id for n in ast.walk(part)
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))


def names_defined(source: str) -> set[str] | None:
    """The names a module binds when it runs, or None when that cannot be read from the text (a
    module `__getattr__`, a star import)."""
    names: set[str] = set()
    statements = list(ast.parse(source).body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            names.update(n for g in ast.walk(node) if isinstance(g, ast.Global) for n in g.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(alias.name == "*" for alias in node.names):
                return None
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            statements.extend(node.orelse)
        else:       # an assignment, or a compound statement: its header, then its bodies
            if isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
            for field, value in ast.iter_fields(node):
                if field in BODIES:
                    statements.extend(value)
                else:
                    names.update(_stored(value))
    return None if "__getattr__" in names else names


def build_graph(sources: Mapping[str, str]) -> list[Edge]:
    """Every import edge between the modules of `sources` (module name -> source text)."""
    modules = set(sources)
    return [edge for name, text in sorted(sources.items())
            for edge in imports_of(name, text, modules)]


@cache
def package_graph() -> tuple[Edge, ...]:
    sources = {name: path.read_text(encoding="utf-8") for name, path in package_files().items()}
    return tuple(build_graph(sources))


# -- the rules --------------------------------------------------------------------------------

def layer_of(module: str) -> str | None:
    """The longest entry of LAYERS that `module` is, or lies inside."""
    found = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(found, key=len, default=None)


def exempt(module: str) -> bool:
    return module == FRONT_DOOR or module in DEPRECATED


def unlayered(modules: Iterable[str]) -> list[str]:
    """Modules that are neither exempt nor in a layer."""
    return sorted(m for m in modules if not exempt(m) and layer_of(m) is None)


def _rank(module: str) -> int | None:
    if module == FRONT_DOOR:
        return FRONT_DOOR_RANK
    layer = layer_of(module)
    return None if layer is None else LAYERS[layer]


def why_forbidden(edge: Edge) -> str | None:
    """Why `edge` breaks the layering, or None if it may stand."""
    source, target = edge.source, edge.target
    if exempt(source) or layer_of(source) is None:
        return None
    if target in DEPRECATED:
        return "a deprecated alias (import the module it points to)"
    if source in METHODS and target not in METHODS_MAY_IMPORT | METHODS:
        return (f"an analysis method imports only other methods and "
                f"{', '.join(sorted(METHODS_MAY_IMPORT))}")
    source_rank, target_rank = _rank(source), _rank(target)
    if target_rank is None:
        return None       # not a module of the package: test_imports_name_what_exists says so
    if target_rank > source_rank:
        return f"up a layer (rank {source_rank} -> {target_rank})"
    pair = (layer_of(source), layer_of(target))
    if pair in FORBIDDEN_SIDEWAYS:
        return f"sideways the wrong way ({pair[0]} must not import {pair[1]})"
    if pair == ("dmpsim.cli", "dmpsim.app") and target not in CLI_STARTS_APP:
        return f"the CLI imports the app only to start it ({', '.join(sorted(CLI_STARTS_APP))})"
    return None


def violations(edges: Iterable[Edge], files: Mapping[str, object] | None = None) -> list[str]:
    """One line per forbidden edge: file:line, both modules and the rule."""
    files = files or {}
    out = []
    for edge in edges:
        reason = why_forbidden(edge)
        if reason:
            where = files.get(edge.source, edge.source)
            out.append(f"{where}:{edge.line}: {edge.source} imports {edge.target}: {reason}")
    return out


def cycles(edges: Iterable[Edge]) -> list[list[Edge]]:
    """One import cycle (as its edges, in order) per strongly connected component of more than
    one module."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge)
    return [_one_cycle(component, graph) for component in _components(graph)
            if len(component) > 1]


def _components(graph: Mapping[str, list[Edge]]) -> list[set[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph.get(node, []):
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _one_cycle(component: set[str], graph: Mapping[str, list[Edge]]) -> list[Edge]:
    """A shortest cycle through the first module (by name) of a strongly connected component."""
    start = min(component)
    reached: dict[str, list[Edge]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph.get(node, []):
                if edge.target == start:
                    return reached[node] + [edge]
                if edge.target in component and edge.target not in reached:
                    reached[edge.target] = reached[node] + [edge]
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {sorted(component)}")


def describe_cycle(cycle: list[Edge], files: Mapping[str, object] | None = None) -> str:
    files = files or {}
    steps = [f"  {files.get(e.source, e.source)}:{e.line}: {e.source} -> {e.target}"
             for e in cycle]
    return " -> ".join([e.source for e in cycle] + [cycle[0].source]) + "\n" + "\n".join(steps)


def _shown(files: Mapping[str, Path]) -> dict[str, str]:
    return {name: str(path.relative_to(ROOT)) for name, path in files.items()}


# -- the package ------------------------------------------------------------------------------

def test_every_module_belongs_to_a_layer():
    stray = unlayered(package_files())
    assert not stray, (f"modules in no layer: {stray}; put each in a layer's folder (or, for a "
                       "deprecated alias, list it in DEPRECATED in tests/test_layers.py)")


def test_imports_name_what_exists():
    """Every dmpsim import names a module that exists, and a name that module defines: a stale
    path (after code moves between modules) in a lazy import fails only when it runs."""
    files = _shown(package_files())
    sources = {name: path.read_text(encoding="utf-8") for name, path in package_files().items()}
    missing = [f"{files[e.source]}:{e.line}: {e.source} imports {e.target}, which does not exist"
               for e in package_graph() if e.target not in sources]
    for importer, text in sources.items():
        for module, name, line in names_imported(importer, text, set(sources)):
            defined = names_defined(sources[module]) if module in sources else None
            if defined is not None and name not in defined:
                missing.append(f"{files[importer]}:{line}: {importer} imports {name} from "
                               f"{module}, which does not define it")
    assert not missing, "\n".join(missing)


def test_imports_point_down():
    broken = violations(package_graph(), _shown(package_files()))
    assert not broken, "imports against the layers:\n" + "\n".join(broken)


def test_no_import_cycles():
    found = cycles(package_graph())
    files = _shown(package_files())
    assert not found, "import cycles:\n" + "\n".join(describe_cycle(c, files) for c in found)


# -- the checker itself -----------------------------------------------------------------------

def _graph(**sources: str) -> list[Edge]:
    """The graph of a few made-up modules; `dmpsim__model__market` names dmpsim.model.market."""
    return build_graph({name.replace("__", "."): text for name, text in sources.items()})


def _pairs(edges: Iterable[Edge]) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in edges}


def test_checker_finds_upward_imports_module_level_and_lazy():
    edges = _graph(
        dmpsim="",
        dmpsim__errors="",
        dmpsim__model="",
        dmpsim__model__market="from ..errors import InputError\n"
                              "def run():\n"
                              "    from dmpsim.experiments.run import run\n",
        dmpsim__io="",
        dmpsim__io__atomic="import dmpsim.experiments.run\n",
        dmpsim__experiments="",
        dmpsim__experiments__run="from ..model.market import run\n",
    )
    found = violations(edges)
    assert found == [
        "dmpsim.io.atomic:1: dmpsim.io.atomic imports dmpsim.experiments.run: "
        "up a layer (rank 2 -> 3)",
        "dmpsim.model.market:3: dmpsim.model.market imports dmpsim.experiments.run: "
        "up a layer (rank 1 -> 3)",
    ]


def test_checker_allows_type_checking_imports_but_not_their_else():
    edges = _graph(
        dmpsim__model="",
        dmpsim__model__params="from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n"
                              "    from ..experiments.run import RunResult\n"
                              "else:\n"
                              "    from ..viz import style\n",
        dmpsim__experiments="",
        dmpsim__experiments__run="",
        dmpsim__viz="",
        dmpsim__viz__style="",
    )
    assert _pairs(edges) == {("dmpsim.model.params", "dmpsim.viz.style")}
    assert len(violations(edges)) == 1


def test_checker_applies_the_sideways_rules():
    edges = _graph(
        dmpsim__errors="",
        dmpsim__model="",
        dmpsim__analysis="",
        dmpsim__analysis__stats="from ..errors import InputError\nfrom ..model import x\n",
        dmpsim__analysis__compare="from . import stats\nfrom ..viz import style\n",
        dmpsim__viz="",
        dmpsim__viz__style="from ..analysis.compare import x\n",
        dmpsim__app="",
        dmpsim__app__server="from ..cli import main\n",
        dmpsim__app__views="",
        dmpsim__cli="from ..app import serve\nfrom ..app.views import x\nfrom .. import run\n",
        dmpsim__cli__arguments="",
        dmpsim="",
        dmpsim__scenario="",
    )
    reasons = {(e.source, e.target): why_forbidden(e) for e in edges}
    assert reasons.pop(("dmpsim.analysis.stats", "dmpsim.model")).startswith("an analysis method")
    assert reasons.pop(("dmpsim.viz.style", "dmpsim.analysis.compare")).startswith("up a layer")
    assert reasons.pop(("dmpsim.app.server", "dmpsim.cli")).startswith("sideways")
    assert reasons.pop(("dmpsim.cli", "dmpsim.app.views")).startswith("the CLI imports the app")
    assert set(reasons.values()) == {None}   # analysis -> viz, cli -> app, cli -> the front door
    deprecated = Edge("dmpsim.experiments.run", "dmpsim.scenario", 1)
    assert why_forbidden(deprecated).startswith("a deprecated alias")
    assert why_forbidden(Edge("dmpsim.viz.run", "dmpsim", 1)).startswith("up a layer")


def test_checker_resolves_relative_and_submodule_imports():
    edges = _graph(
        dmpsim__app="",
        dmpsim__app__narrate="",
        dmpsim__app__play="from .game import Game\n",
        dmpsim__app__play__game="from . import words\nfrom .. import narrate, views\n"
                                "from ...model.players import Offer\n",
        dmpsim__app__play__words="",
        dmpsim__model="",
        dmpsim__model__players="",
    )
    assert _pairs(edges) == {
        ("dmpsim.app.play", "dmpsim.app.play.game"),
        ("dmpsim.app.play.game", "dmpsim.app.play.words"),    # a submodule, not the package
        ("dmpsim.app.play.game", "dmpsim.app.narrate"),
        ("dmpsim.app.play.game", "dmpsim.app"),              # `views` is no module: the package
        ("dmpsim.app.play.game", "dmpsim.model.players"),
    }


def test_checker_finds_cycles_lazy_ones_too():
    edges = _graph(
        dmpsim__experiments="",
        dmpsim__experiments__run="from .run_folder import write_run\n",
        dmpsim__experiments__run_folder="def write_run():\n    from .run import run\n",
        dmpsim__experiments__tables="from typing import TYPE_CHECKING\n"
                                    "from .run import run\n"
                                    "if TYPE_CHECKING:\n    from .design import Experiment\n",
        dmpsim__experiments__design="from .tables import SUMMARY_KEYS\n",
    )
    (cycle,) = cycles(edges)
    assert [(e.source, e.target, e.line) for e in cycle] == [
        ("dmpsim.experiments.run", "dmpsim.experiments.run_folder", 1),
        ("dmpsim.experiments.run_folder", "dmpsim.experiments.run", 2),
    ]
    assert describe_cycle(cycle).startswith(
        "dmpsim.experiments.run -> dmpsim.experiments.run_folder -> dmpsim.experiments.run\n")


def test_checker_package_reexports_make_no_false_cycles():
    """A package `__init__` importing its submodules lazily (PEP 562) is no cycle; a submodule
    that imports the package back is one."""
    lazy_init = ("from importlib import import_module\n"
                 "_LAZY = {'DMPMarket': '.market'}\n"
                 "def __getattr__(name):\n"
                 "    return getattr(import_module(_LAZY[name], __name__), name)\n")
    sound = _graph(
        dmpsim__model=lazy_init,
        dmpsim__model__market="from .params import FLAT\nfrom . import params\n",
        dmpsim__model__params="",
    )
    assert ("dmpsim.model", "dmpsim.model.market") in _pairs(sound)
    assert cycles(sound) == []
    looping = _graph(
        dmpsim__model=lazy_init,
        dmpsim__model__market="from dmpsim.model import MODEL_SERIES\n",
    )
    assert [(e.source, e.target) for e in cycles(looping)[0]] == [
        ("dmpsim.model", "dmpsim.model.market"), ("dmpsim.model.market", "dmpsim.model")]


def test_checker_reads_computed_import_module_names():
    edges = _graph(
        dmpsim__viz="import importlib\n"
                    "_HOMES = {'save_figure': 'style', 'figure': 'nothing'}\n"
                    "def __getattr__(name):\n"
                    "    return importlib.import_module(f'.{_HOMES[name]}', __name__)\n",
        dmpsim__viz__style="",
        dmpsim__viz__run="from importlib import import_module\n"
                         "def f():\n    return import_module('dmpsim.viz.style')\n",
    )
    assert _pairs(edges) == {("dmpsim.viz", "dmpsim.viz.style"),
                             ("dmpsim.viz.run", "dmpsim.viz.style")}


def test_checker_names_modules_outside_the_layers():
    assert unlayered(["dmpsim", "dmpsim.errors", "dmpsim.sweep", "dmpsim.model.market",
                      "dmpsim.helpers", "dmpsim.tools.x"]) == ["dmpsim.helpers", "dmpsim.tools.x"]


def test_checker_finds_names_a_module_does_not_define():
    sources = {
        "dmpsim.experiments": "",
        "dmpsim.experiments.design": "from typing import TYPE_CHECKING\n"
                                     "if TYPE_CHECKING:\n    from .files import load\n"
                                     "class Experiment:\n    pass\n"
                                     "MAX_RUNS, MAX_POINTS = 10, 5\n"
                                     "try:\n    import scipy\nexcept ImportError as error:\n"
                                     "    scipy = None\n",
        "dmpsim.experiments.files": "def load():\n    pass\n",
        "dmpsim.experiments.sweeps": "from .design import Experiment, MAX_POINTS\n"
                                     "def sweep():\n    from .design import load\n"
                                     "    from . import files\n",
        "dmpsim.experiments.lazy": "def __getattr__(name):\n    return name\n",
        "dmpsim.viz.run": "from ..experiments.lazy import anything\n",
    }
    imported = [(module, name, line) for importer, text in sources.items()
                for module, name, line in names_imported(importer, text, set(sources))]
    assert imported == [("dmpsim.experiments.design", "Experiment", 1),
                        ("dmpsim.experiments.design", "MAX_POINTS", 1),
                        ("dmpsim.experiments.design", "load", 3),
                        ("dmpsim.experiments.lazy", "anything", 1)]
    assert names_defined(sources["dmpsim.experiments.design"]) == {
        "TYPE_CHECKING", "Experiment", "MAX_RUNS", "MAX_POINTS", "scipy", "error"}  # no `load`
    assert names_defined(sources["dmpsim.experiments.lazy"]) is None
