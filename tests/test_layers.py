"""The house's layers, read from the source with ``ast`` (every import, those inside functions too):
``admin_app`` may import ``exports``, ``models`` and ``config``; ``exports`` may import ``models`` and
``config``; ``models`` and ``config`` import neither of the layers above them; and no module reaches
itself again through the imports it makes (no circle). A failure names the files and lines."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Each layer and the layers it may import (besides itself).
MAY_IMPORT = {
    "config": set(),
    "models": {"config"},
    "exports": {"models", "config"},
    "admin_app": {"exports", "models", "config"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for layer in MAY_IMPORT:
        for path in sorted((ROOT / layer).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:  # Alembic's scripts are not imported
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _known(name: str | None) -> str | None:
    """The project module ``name`` denotes (its longest prefix that is one), or None for a library."""
    parts = (name or "").split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def imports(module: str) -> list[tuple[str, int]]:
    """(imported project module, line) for every import statement in ``module``, at any depth."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(target, node.lineno) for a in node.names if (target := _known(a.name))]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                # ``from package import submodule`` imports the submodule; ``from module import name`` the module.
                submodule = f"{source}.{alias.name}"
                target = submodule if submodule in MODULES else _known(source)
                if target:
                    found.append((target, node.lineno))
    return found


GRAPH = {module: imports(module) for module in MODULES}


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def test_the_layers_only_point_down():
    upward = [
        f"{_where(module, line)} imports {target}"
        for module, targets in GRAPH.items()
        for target, line in targets
        if (layer := module.split(".")[0]) != (other := target.split(".")[0]) and other not in MAY_IMPORT[layer]
    ]
    assert upward == [], "imports that point up a layer:\n" + "\n".join(upward)


def test_the_register_machinery_knows_no_register():
    """``admin_app.registers`` is what every register inherits; it never reaches for a register screen."""
    found = [
        f"{_where(module, line)} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith("admin_app.registers")
        for target, line in targets
        if target.startswith("admin_app.views")
    ]
    assert found == [], "the machinery imports a register screen:\n" + "\n".join(found)


def circles() -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = 0
    for root in GRAPH:
        if root in index:
            continue
        work = [(root, iter(GRAPH[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target, _line in edges:
                if target == node:
                    continue
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(GRAPH[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def test_no_import_circles():
    found = []
    for group in circles():
        members = set(group)
        edges = [
            f"  {_where(module, line)} imports {target}"
            for module in group
            for target, line in GRAPH[module]
            if target in members and target != module
        ]
        found.append("circle of " + ", ".join(group) + ":\n" + "\n".join(edges))
    assert found == [], "\n".join(found)


def test_the_check_sees_what_it_must():
    """The walk finds imports at any depth and resolves relative ones, or the two tests above prove nothing."""
    assert ("models.base", 1) in [(t, 1) for t, _ in GRAPH["models.clients"]], "a relative import"
    inside_functions = [t for t, _ in GRAPH["admin_app.cli"]]
    assert "models.seed.demo" in inside_functions, "an import inside a function"
    assert len(MODULES) > 90
