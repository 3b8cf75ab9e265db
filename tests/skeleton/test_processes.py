"""One definition of the processes (processes.toml): docker-compose.yml runs exactly its commands,
its workers consume every queue, and collection never shares a worker with closing or e-mail."""

import sys
from pathlib import Path

import yaml

from devstack import processes
from devstack.__main__ import demo_commands
from devstack.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"default", "collection", "mail", "exports"}  # written out: a new queue needs a consumer on purpose
# The compose service that runs each process of the definition.
COMPOSE_SERVICE = {
    "release": "release",
    "web": "web",
    "worker default": "worker",
    "worker collection": "worker-collection",
    "beat": "beat",
}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_docker_compose_runs_the_definitions_commands_and_nothing_else():
    services = _compose()
    production = processes.production()

    assert set(production) == set(COMPOSE_SERVICE)
    assert {name: services[service]["command"] for name, service in COMPOSE_SERVICE.items()} == production
    runs_the_app = {name for name, s in services.items() if s.get("image") == "pledgeboard" and name != "localstripe"}
    assert runs_the_app == set(COMPOSE_SERVICE.values())


def test_web_starts_after_the_release_step_has_succeeded():
    assert _compose()["web"]["depends_on"] == {"release": {"condition": "service_completed_successfully"}}


def test_the_workers_consume_every_queue_once_and_keep_collection_apart():
    workers = processes.workers()
    queues = [queue for worker in workers.values() for queue in worker.queues]

    assert sorted(queues) == sorted(QUEUES)
    assert set(workers["default"].queues) == {"default", "mail"}
    assert set(workers["collection"].queues) == {"collection", "exports"}
    assert (workers["collection"].pool, workers["collection"].concurrency) == ("threads", 48)


def test_the_demo_runs_the_same_processes_with_its_own_interpreter():
    python = sys.executable

    commands = demo_commands(PROFILES["demo"], python)

    expected = [
        [python, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py", "--bind", "127.0.0.1:8000"],
        [python, "-m", *processes.production()["worker default"]],
        [python, "-m", *processes.production()["worker collection"]],
        [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO", "--schedule"],
    ]
    assert commands[:3] == expected[:3]
    assert commands[3][:-1] == expected[3] and commands[3][-1] == str(PROFILES["demo"].var / "celerybeat-schedule")
