"""The import layers of the design, checked from the source (no import runs).

Apps in layer order; a domain module (models, services, selectors, tasks, ...) imports
only apps in lower layers, and `core` imports none. `updates`, `notifications` and `discovery` share a
layer and so may not import each other, as do `web` and `demo`. Interface modules (api*,
serializers, admin, views, forms, urls, management commands) sit on top of their app and
may use any app but those of the top layer (`web`, `demo`). No app imports `config`
(settings come from django.conf). No two modules import each other in a loop, directly or
through others; imports inside functions count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("accounts",),
    ("campaigns",),
    ("rewards",),
    ("pledges",),
    ("closing",),
    ("payouts",),
    ("fulfilment",),
    ("updates", "notifications", "community", "discovery"),
    ("reports",),
    ("web", "demo"),
)
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
TOP = LAYERS[-1]
INTERFACE_PREFIXES = ("api", "serializers", "admin", "views", "forms", "urls")


@dataclass(frozen=True)
class Module:
    name: str
    app: str
    path: Path
    interface: bool


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules(root: Path) -> dict[str, Module]:
    modules = {}
    for app in [*RANK, "config"]:
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            if "migrations" in relative.parts:
                continue
            interface = relative.stem.startswith(INTERFACE_PREFIXES) or "management" in relative.parts
            name = _module_name(relative)
            modules[name] = Module(name=name, app=app, path=path, interface=interface)
    return modules


def import_statements(path: Path) -> list[list[str]]:
    """For each absolute import in a file, wherever it stands: the module it names first,
    then ``module.name`` for each name taken from it (which may be a submodule)."""
    statements = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            statements += [[alias.name] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            statements.append([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
    return statements


def upward_imports(modules: dict[str, Module]) -> list[str]:
    findings = []
    for module in modules.values():
        if module.app == "config":
            continue
        for name, *_ in import_statements(module.path):
            top = name.split(".")[0]
            if top == module.app:
                continue
            if top == "config":
                findings.append(f"{module.name} imports {name}: apps read settings from django.conf")
            elif top not in RANK:
                continue
            elif module.interface:
                if top in TOP:
                    findings.append(f"{module.name} (interface) imports {name}")
            elif RANK[top] >= RANK[module.app]:
                findings.append(f"{module.name} imports {name}, which is not below {module.app}")
    return sorted(set(findings))


def import_loops(modules: dict[str, Module]) -> list[list[str]]:
    graph = {
        name: {
            imported
            for statement in import_statements(module.path)
            for imported in statement
            if imported in modules and imported != name
        }
        for name, module in modules.items()
    }
    # Tarjan's strongly connected components, iteratively (no recursion limit to hit).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        loops.append(sorted(component))
    return sorted(loops)
