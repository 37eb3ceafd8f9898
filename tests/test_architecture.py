"""The engine's architecture (docs/design.md, "The map"): analytics/ is packages by layer, a lower layer never
imports a higher one, no two modules import each other however indirectly, and no module is over 800 lines.

Every import statement counts: at the top of a module, inside a function, under `if TYPE_CHECKING:`."""
import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "analytics"
# Lowest first: a package may use the ones before it, never one after it.
LAYERS = ("common", "words", "intake", "store", "estimation", "case", "outputs", "surface")
MAX_LINES = 800
PRODUCT = sorted(ENGINE.rglob("*.py")) + [ROOT / "app.py", ROOT / "ui.py", *sorted((ROOT / "views").glob("*.py")),
                                         ROOT / "scripts" / "serve.py", ROOT / "scripts" / "guard.py"]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """Every module of the product a file imports, wherever the statement is, with its line: `from a.b import c`
    counts a.b.c when that is a module, else a.b; relative imports are made absolute."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            for a in node.names:
                found.append((f"{base}.{a.name}" if _is_module(f"{base}.{a.name}", root) else base, node.lineno))
    return [(name, line) for name, line in found if name == "analytics" or name.startswith("analytics.")]


def _is_module(name: str, root: Path = ROOT) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def engine_modules() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def test_the_engine_is_packages_by_layer():
    """Every module but the package's own entry points sits in a layer's package; every layer's package has an
    __init__.py whose docstring says what it holds and which packages it may use, exactly the ones below it."""
    loose = [p.name for p in ENGINE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert loose == []
    packages = sorted(p.name for p in ENGINE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert packages == sorted(LAYERS)
    for i, name in enumerate(LAYERS):
        doc = ast.get_docstring(ast.parse((ENGINE / name / "__init__.py").read_text())) or ""
        may = re.search(r"^May use: (.*)$", doc, re.M)
        assert may, f"analytics/{name}/__init__.py does not say which packages it may use"
        said = may.group(1).rstrip(".")
        expected = "nothing else in the product" if i == 0 else "every other package" if name == LAYERS[-1] \
            else ", ".join(LAYERS[:i])
        assert said == expected, name
        # what it holds: every module of the package is named in its docstring
        held = sorted(p.stem for p in (ENGINE / name).glob("*.py") if p.name != "__init__.py")
        assert [m for m in held if not re.search(rf"\b{m}\b", doc)] == [], name


def test_a_lower_layer_never_imports_a_higher_one():
    upward = []
    for path in engine_modules():
        mine = layer(module_name(path))
        for target, line in imports(path):
            theirs = layer(target)
            if mine is None or theirs is None:
                if mine is not None and target != "analytics":
                    upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}, which is in no layer")
                continue
            if LAYERS.index(theirs) > LAYERS.index(mine):
                upward.append(f"{path.relative_to(ROOT)}:{line} ({mine}) imports {target} ({theirs})")
    assert upward == []


def test_the_layer_check_finds_an_upward_import_inside_a_function(tmp_path):
    """The check itself: a lower package's module that imports a higher one inside a function, relatively or
    not, or for types only, is found."""
    for folder in ("common", "case"):
        (tmp_path / "analytics" / folder).mkdir(parents=True)
    (tmp_path / "analytics" / "case" / "summary.py").write_text("")
    low = tmp_path / "analytics" / "common" / "policy.py"
    low.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from analytics.case.summary import Headline\n"
                   "def f():\n    from ..case import summary\n    return summary\n")
    found = imports(low, tmp_path)
    assert found == [("analytics.case.summary", 3), ("analytics.case.summary", 5)]
    assert all(LAYERS.index(layer(t)) > LAYERS.index(layer(module_name(low, tmp_path))) for t, _ in found)


def _graph() -> dict[str, set[str]]:
    graph = defaultdict(set)
    for path in PRODUCT:
        me = module_name(path)
        for target, _ in imports(path):
            if target != me and target != "analytics":
                graph[me].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a cycle of imports."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_the_products_modules():
    graph = _graph()
    assert sum(len(targets) for targets in graph.values()) > 100  # the scan finds the imports that are there
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle_through_a_function_level_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_800_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def _section(text: str, heading: str) -> str:
    """A markdown section: from its heading to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    rest = text[text.index(heading) + len(heading):]
    ends = [m.start() for m in re.finditer(r"^#{1,%d} " % len(level), rest, re.M)]
    return rest[:ends[0]] if ends else rest


def test_the_design_has_the_map_and_the_readme_points_to_it():
    """docs/design.md's map has one row per package, in the layers' order, with what it may use as the package's
    __init__.py says it; the README's Layout section points to it."""
    the_map = _section((ROOT / "docs" / "design.md").read_text(), "### The map")
    rows = re.findall(r"^\| `(\w+)/` \| (.*) \| (.*) \|$", the_map, re.M)
    assert [name for name, _, _ in rows] == list(LAYERS)
    for name, holds, _ in rows:
        modules = sorted(p.stem for p in (ENGINE / name).glob("*.py") if p.name != "__init__.py")
        assert [m for m in modules if f"`{m}`" not in holds] == [], name
    layout = _section((ROOT / "README.md").read_text(), "## Layout")
    assert "docs/design.md" in layout and "The map" in layout
