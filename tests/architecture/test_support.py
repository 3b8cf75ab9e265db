"""Production code never leans on test support.

Nothing outside tests/ (bench/ is development tooling and may) imports from tests/, from a
module named `testing` or from django.test, nor connects a receiver to Django's
`setting_changed` (a signal only tests send): a cached setting is read at call time instead.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_PRODUCTION = {"tests", "bench", ".venv", "var", ".git", "node_modules"}


def production_files(root: Path) -> list[Path]:
    # Walk only the top-level entries that are production: rglob from the root would walk
    # the whole of .venv first (seconds) only to throw it away.
    tops = [e for e in root.iterdir() if e.name not in NOT_PRODUCTION and not e.name.startswith(".")]
    files = [e for e in tops if e.is_file() and e.suffix == ".py"]
    files += [path for e in tops if e.is_dir() for path in e.rglob("*.py")]
    return sorted(path for path in files if ".venv" not in path.parts)


def _absolute(path: Path, root: Path, node: ast.ImportFrom) -> str:
    """The module an import names, a relative one resolved against the file's package."""
    if not node.level:
        return node.module or ""
    package = list(path.relative_to(root).parent.parts)
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(path: Path, root: Path) -> list[list[str]]:
    """For each import in the file, wherever it stands: the module it names, then
    ``module.name`` for each name taken from it (which may be a submodule)."""
    statements = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            statements += [[alias.name] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, root, node)
            statements.append([module, *(f"{module}.{alias.name}" for alias in node.names)])
    return statements


def _is_test_support(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" or "testing" in parts or name == "django.test" or name.startswith("django.test.")


def support_imports(root: Path) -> list[str]:
    findings = []
    for path in production_files(root):
        relative = path.relative_to(root)
        for statement in _imports(path, root):
            if support := next((name for name in statement if _is_test_support(name)), None):
                findings.append(f"{relative} imports {support}")
            if any(name.endswith(".setting_changed") for name in statement):
                findings.append(f"{relative} listens to setting_changed: read the setting at call time")
    return sorted(set(findings))


def test_no_production_module_imports_test_support():
    assert support_imports(ROOT) == []


def test_test_support_lives_under_tests():
    assert (ROOT / "tests" / "support" / "payments.py").exists()
    assert not [path for path in production_files(ROOT) if path.stem == "testing"]


@pytest.mark.parametrize(
    ("files", "finding"),
    [
        ({"pledges/services.py": "from tests import factories\n"}, "pledges/services.py imports tests"),
        ({"core/money.py": "def f():\n    import tests.support.payments\n"}, "core/money.py imports tests.support"),
        (
            {"pledges/payments/__init__.py": "from .testing import card\n"},
            "pledges/payments/__init__.py imports pledges.payments.testing",
        ),
        ({"web/views.py": "from django.test import RequestFactory\n"}, "web/views.py imports django.test"),
        (
            {"core/redis_client.py": "from django.core.signals import setting_changed\n"},
            "core/redis_client.py listens to setting_changed",
        ),
    ],
)
def test_the_checker_flags_test_support_in_production(tmp_path, files, finding):
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("from pledges.payments.testing import card\n")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "run.py").write_text("from tests.support.payments import flush_localstripe\n")

    findings = support_imports(tmp_path)

    assert len(findings) == 1 and findings[0].startswith(finding), findings
