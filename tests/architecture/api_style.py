"""The API's one style (docs/api.md, "One class per operation"), checked on the code itself.

HackSoft's Django-Styleguide: one API class per operation (a class answers one of GET, POST,
PUT, PATCH, DELETE), its serializers nested in it (``InputSerializer`` / ``OutputSerializer``),
no ``serializers.py`` module. A URL with several operations dispatches through a documented
``core.api_routing.MethodRoutes`` and answers nothing itself. A serializer at module level in an
API module is a shape several classes answer, and says so in a comment (``# Shared``) above it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from core.api_routing import MethodRoutes

OPERATIONS = ("get", "post", "put", "patch", "delete")
SHARED_MARK = "# Shared"


def api_module_paths(root: Path, apps) -> list[Path]:
    return sorted(path for app in apps for path in (root / app).glob("api*.py"))


def serializers_modules(root: Path, apps) -> list[str]:
    return [
        str(path.relative_to(root))
        for app in apps
        for path in sorted((root / app).rglob("serializers.py"))
        if "migrations" not in path.parts
    ]


def operations_of(view_class: type) -> list[str]:
    """The HTTP operations a class answers itself (inherited handlers count)."""
    return [method for method in OPERATIONS if callable(getattr(view_class, method, None))]


def api_classes(module_name: str) -> list[type]:
    module = importlib.import_module(module_name)
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, APIView) and value.__module__ == module_name
    ]


def class_findings(view_class: type) -> list[str]:
    name = f"{view_class.__module__}.{view_class.__name__}"
    if not issubclass(view_class, MethodRoutes):
        operations = operations_of(view_class)
        return [f"{name} answers {', '.join(operations)}: one operation per class"] if len(operations) > 1 else []
    findings = []
    if not (view_class.__doc__ or "").strip():
        findings.append(f"{name} dispatches without saying why (no docstring)")
    if operations_of(view_class):
        findings.append(f"{name} dispatches and answers {', '.join(operations_of(view_class))} itself")
    for method, target in view_class.routes.items():
        if operations_of(target) != [method]:
            answers = ", ".join(operations_of(target))
            findings.append(f"{name} routes {method} to {target.__name__}, which answers {answers}")
    return findings


def unmarked_module_serializers(path: Path, module_name: str) -> list[str]:
    """Serializer classes defined at an API module's top level without a ``# Shared`` comment
    in the lines right above them."""
    module = importlib.import_module(module_name)
    lines = path.read_text(encoding="utf-8").splitlines()
    findings = []
    for node in ast.parse("\n".join(lines)).body:
        if not isinstance(node, ast.ClassDef):
            continue
        value = getattr(module, node.name, None)
        if not (inspect.isclass(value) and issubclass(value, BaseSerializer)):
            continue
        first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)]) - 1
        above = []
        for line in reversed(lines[:first]):
            if not line.startswith("#"):
                break
            above.append(line)
        if not any(line.startswith(SHARED_MARK) for line in above):
            findings.append(f"{module_name}.{node.name} is a module-level serializer: nest it, or mark it shared")
    return findings


def style_findings(module_name: str) -> list[str]:
    return [finding for view_class in api_classes(module_name) for finding in class_findings(view_class)]
