"""The layout, measured from the code (issue 12): where the GL and windowing
libraries may be imported, no import cycles, and modules and functions small
enough to read."""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "visualizer"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
MAX_LOOSE_MODULES = 3


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module (ours or not) that ``name`` imports, at any depth in the file."""
    tree = ast.parse(path.read_text())
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            for a in node.names:   # "from visualizer.audio import demo" imports a module
                if f"{base}.{a.name}" in MODULES:
                    found.add(f"{base}.{a.name}")
    return found


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _ours(name: str) -> set[str]:
    return {m for m in IMPORTS[name] if m in MODULES and m != name}


def _package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or MODULES[name].name == "__init__.py" \
        else "visualizer"


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle in ``graph`` (as a path), or [] if there is none."""
    state, stack = {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_no_import_cycle_between_modules():
    assert _cycle({m: _ours(m) for m in MODULES}) == []


def test_no_import_cycle_between_packages():
    graph = defaultdict(set)
    for m in MODULES:
        for other in _ours(m):
            a, b = _package(m), _package(other)
            if a != b and a != "visualizer" and b != "visualizer":
                graph[a].add(b)
    assert _cycle(graph) == []


def _display(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return any(word in last for word in ("window", "display", "hud")) or ".display" in name


@pytest.mark.parametrize("library", ["moderngl", "pyglet"])
def test_gl_and_windowing_stay_in_their_packages(library):
    users = sorted(m for m, imports in IMPORTS.items()
                   if any(i == library or i.startswith(library + ".") for i in imports))
    if library == "moderngl":
        allowed = [m for m in users if m.startswith("visualizer.render") or _display(m)]
    else:
        allowed = [m for m in users if _display(m)]
    assert users == allowed


def test_modules_are_short():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_functions_fit_a_screen():
    long = {}
    for m, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{m}.{node.name}"] = n
    assert long == {}


def test_few_loose_modules_at_the_top():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(loose) <= MAX_LOOSE_MODULES, loose
