from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_names_the_production_shaped_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "localstripe"} <= set(services)
    # web, worker and beat are one image with one environment (the &django anchor).
    images = {services[name]["image"] for name in ("web", "worker", "beat")}
    assert images == {"pledgeboard"}
    assert services["worker"]["environment"] == services["web"]["environment"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")


def test_ci_runs_make_test_and_nothing_else():
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]

    assert lines[-1] == "make test"
    assert all(line.startswith(("set ", "cd ")) for line in lines[:-1])


def test_celery_serializes_json_only():
    from django.conf import settings

    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_TASK_ACKS_LATE is True
