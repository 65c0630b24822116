"""The house's one-way rule, read off the source: no import circle, no import up the layers, jobs/ that know no
platform, and imports of our own modules at the top of a module, where a reader looks for them. Every module is
parsed (never imported); imports inside functions and under TYPE_CHECKING count."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# webhooks, admin, cli -> jobs -> connector -> storage -> policies: a package imports only those below it.
RANK = {"policies": 0, "storage": 1, "connector": 2, "jobs": 3, "webhooks": 4, "admin": 4, "cli": 4}
# Beside each other on the top floor, two arrows are allowed: the CLI runs the app the factory builds, and the
# factory (the composition root) registers the admin's blueprints.
SIDEWAYS = {("cli", "webhooks"), ("webhooks", "admin")}
# What jobs/ may use of connector/: the platform-neutral modules.
NEUTRAL_CONNECTOR = {"connector", "connector.adapter", "connector.registry", "connector.planning",
                     "connector.case_parts", "connector.demo"}
# Besides the platforms themselves, only the composition root and the CLI name a platform package.
MAY_NAME_A_PLATFORM = {"webhooks.app"}
# Imports of our own modules inside a function, in the whole tree: the CLI's fast `assay decide` path needs one
# (cli/entry.py loads the service's commands only for the other commands).
MOST_FUNCTION_LEVEL_IMPORTS = 3

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in RANK:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def platforms() -> list[str]:
    """connector/'s subpackages: one per platform."""
    return sorted(path.parent.name for path in (ROOT / "connector").glob("*/__init__.py"))


def _known(name: str) -> str | None:
    """The module an import of `name` loads: itself, or the nearest enclosing module we have."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def imported(module: str, tree: ast.AST) -> Iterator[str]:
    """Every first-party module `module` imports, wherever the import statement is."""
    for node in ast.walk(tree):
        yield from _targets(module, node)


def _targets(module: str, node: ast.AST) -> Iterator[str]:
    """The first-party modules one import statement loads (none for any other node)."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            is_package = modules()[module].name == "__init__.py"
            anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
            base = ".".join([*anchor, base] if base else anchor)
        # `from package import name` loads package.name when that is a module of its own.
        targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base for alias in node.names]
    else:
        return
    for target in targets:
        if target.split(".")[0] in RANK and (known := _known(target)) is not None and known != module:
            yield known


def function_level_imports() -> list[str]:
    """Every import of our own modules inside a function, as "module:line -> target"."""
    found = []
    for module, path in modules().items():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                found += [f"{module}:{node.lineno} -> {target}" for node in ast.walk(function)
                          for target in _targets(module, node)]
    return sorted(set(found))


def loading(edges: Graph) -> Graph:
    """The imports as they run: importing `a.b.c` first runs the packages `a` and `a.b`, so a package whose
    `__init__` imports its own modules (a re-export) sits on a circle with each of them."""
    loads = {module: set(targets) for module, targets in edges.items()}
    for module in loads:
        parts = module.split(".")
        loads[module] |= {package for depth in range(1, len(parts))
                          if (package := ".".join(parts[:depth])) in edges}
    return loads


@cache
def graph() -> Graph:
    return {name: set(imported(name, ast.parse(path.read_text(encoding="utf-8"), str(path))))
            for name, path in modules().items()}


def cycles(edges: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def platform_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "connector" and parts[1] in platforms() else None


def edges() -> Iterator[tuple[str, str]]:
    for source, targets in sorted(graph().items()):
        for target in sorted(targets):
            yield source, target


def test_the_walk_sees_imports_at_module_level_inside_functions_and_under_type_checking() -> None:
    assert "connector.registry" in graph()["jobs.events"]  # module level
    assert "webhooks.app" in graph()["cli.main"]  # inside a function (kept out of `assay decide`'s start-up)
    assert "storage.models" in graph()["connector.adapter"]  # under TYPE_CHECKING
    assert "connector.shopify.payloads" in graph()["connector.shopify.adapter"]  # `from package import module`


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_round_a_circle() -> None:
    assert cycles(graph()) == []


def test_the_loading_graph_adds_each_module_s_packages() -> None:
    assert loading({"a": set(), "a.b": set(), "a.b.c": {"d"}, "d": set()})["a.b.c"] == {"a", "a.b", "d"}
    assert cycles(loading({"a": {"a.b"}, "a.b": set()})) == [["a", "a.b"]], "a re-export is a circle"



def test_no_circle_inside_connector_counting_the_packages_an_import_runs() -> None:
    inside = [circle for circle in cycles(loading(graph())) if any(top(module) == "connector" for module in circle)]
    assert inside == []


def test_our_modules_are_imported_at_the_top_of_a_module_but_on_the_cli_s_fast_path() -> None:
    found = function_level_imports()
    assert len(found) <= MOST_FUNCTION_LEVEL_IMPORTS, found


def test_every_import_points_down_the_layers() -> None:
    upward = [f"{source} -> {target}" for source, target in edges()
              if top(source) != top(target) and RANK[top(target)] >= RANK[top(source)]
              and (top(source), top(target)) not in SIDEWAYS]
    assert upward == []


def test_policies_imports_nothing_of_ours() -> None:
    assert [f"{s} -> {t}" for s, t in edges() if top(s) == "policies" and top(t) != "policies"] == []


def test_jobs_use_connector_only_through_its_platform_neutral_modules() -> None:
    reaching = [f"{source} -> {target}" for source, target in edges()
                if top(source) == "jobs" and top(target) == "connector" and target not in NEUTRAL_CONNECTOR]
    assert reaching == []


def test_jobs_import_no_platform_package() -> None:
    assert [f"{s} -> {t}" for s, t in edges() if top(s) == "jobs" and platform_of(t)] == []


def test_no_module_in_jobs_is_named_after_a_platform() -> None:
    assert platforms() == ["shopify", "woocommerce"]
    named = [name for name in modules() if top(name) == "jobs" and any(p in name for p in platforms())]
    assert named == []


def test_a_platform_package_imports_no_other_platform() -> None:
    crossing = [f"{s} -> {t}" for s, t in edges()
                if platform_of(s) and platform_of(t) and platform_of(s) != platform_of(t)]
    assert crossing == []


def test_outside_its_own_package_a_platform_is_named_only_by_the_composition_root_and_the_cli() -> None:
    naming = [f"{s} -> {t}" for s, t in edges() if platform_of(t) and not platform_of(s)
              and s not in MAY_NAME_A_PLATFORM and top(s) != "cli"]
    assert naming == []
