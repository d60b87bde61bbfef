"""The floor plan holds: no import cycle, the app never imports training, small modules.

Every import counts, wherever it is written: at the top, inside a function, under
`if TYPE_CHECKING:`. A cycle hidden by a function-local import is still a cycle.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "catsdogs"
TRAINING = "catsdogs.training"
MAX_LINES = 250
MAX_TOP_LEVEL = 12


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> set[str]:
    """The catsdogs modules that module `name` imports, each as its own module when it is one
    (`from catsdogs.x import y` with y a submodule counts as catsdogs.x.y)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1 folders
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in MODULES else base)
    return {target for target in found if target in MODULES and target != name}


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle, as a path that ends where it starts, for each strongly connected group of
    modules (Tarjan's algorithm, iterative)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return [cycle_in(graph, group) for group in groups]


def cycle_in(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & group):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def test_the_walk_sees_local_typing_relative_and_submodule_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "from catsdogs.registry import client\n"
        "if TYPE_CHECKING:\n"
        "    from catsdogs.card import ModelCard\n"
        "def later():\n"
        "    import catsdogs.store.petimages\n"
        "    from . import config\n"
    )
    assert imported("catsdogs.probe", probe) == {
        "catsdogs.registry.client",
        "catsdogs.card",
        "catsdogs.store.petimages",
        "catsdogs.config",
    }


def test_a_cycle_is_reported_as_a_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    found = [" -> ".join(cycle) for cycle in cycles(GRAPH)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_only_training_imports_training():
    found = [
        f"{name} imports {target}"
        for name, targets in sorted(GRAPH.items())
        if not (name == TRAINING or name.startswith(TRAINING + "."))
        for target in sorted(targets)
        if target == TRAINING or target.startswith(TRAINING + ".")
    ]
    assert not found, "the app must not import catsdogs/training/:\n" + "\n".join(found)


def test_no_module_over_250_lines():
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {lines} lines"
        for path in MODULES.values()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    ]
    assert not found, f"modules over {MAX_LINES} lines:\n" + "\n".join(found)


def test_at_most_12_modules_directly_in_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, f"{len(top)} modules in catsdogs/: {', '.join(top)}"
