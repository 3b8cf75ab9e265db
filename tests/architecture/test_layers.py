"""The dependency direction of ../shared/design.md holds for the whole tree, and the
checker itself catches what it is meant to catch."""

from pathlib import Path

import pytest

from tests.architecture.layers import RANK, import_loops, project_modules, upward_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_app_of_the_design_exists_and_is_checked():
    modules = project_modules(ROOT)
    assert {module.app for module in modules.values()} == {*RANK, "config"}


def test_no_module_imports_an_app_above_its_own():
    assert upward_imports(project_modules(ROOT)) == []


def test_no_import_loops():
    assert import_loops(project_modules(ROOT)) == []


@pytest.fixture
def tree(tmp_path):
    def write(files: dict[str, str]) -> Path:
        for app in [*RANK, "config"]:
            (tmp_path / app).mkdir(exist_ok=True)
            (tmp_path / app / "__init__.py").touch()
        for name, source in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(source)
        return tmp_path

    return write


def test_the_checker_flags_a_domain_module_importing_upward(tree):
    root = tree({"pledges/services.py": "def f():\n    from notifications.services import notify\n"})

    assert upward_imports(project_modules(root)) == [
        "pledges.services imports notifications.services, which is not below pledges"
    ]


def test_the_checker_keeps_siblings_apart_and_core_a_leaf(tree):
    root = tree(
        {
            "updates/services.py": "import notifications.models\n",
            "core/money.py": "from campaigns.models import Campaign\n",
            "campaigns/services.py": "from config.settings import DEBUG\n",
        }
    )

    findings = upward_imports(project_modules(root))

    assert "updates.services imports notifications.models, which is not below updates" in findings
    assert "core.money imports campaigns.models, which is not below core" in findings
    assert "campaigns.services imports config.settings: apps read settings from django.conf" in findings


def test_the_checker_lets_interfaces_use_any_app_but_web(tree):
    root = tree(
        {
            "pledges/api.py": "from closing.services.collection import pledge_replace_payment_method\n",
            "campaigns/admin.py": "from web.views import campaign_list\n",
        }
    )

    assert upward_imports(project_modules(root)) == ["campaigns.admin (interface) imports web.views"]


def test_the_checker_finds_a_loop_through_an_import_inside_a_function(tree):
    root = tree(
        {
            "closing/services.py": "from closing import tasks\n",
            "closing/tasks.py": "def run():\n    from closing.services import close\n",
            "closing/selectors.py": "from closing import services\n",
        }
    )

    assert import_loops(project_modules(root)) == [["closing.services", "closing.tasks"]]
