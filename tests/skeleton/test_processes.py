"""One definition of the processes (processes.toml): docker-compose.yml runs exactly its commands,
its workers consume every queue, and collection never shares a worker with closing or e-mail."""

import sys
from pathlib import Path

import yaml

from devstack import processes
from devstack.__main__ import demo_commands
from devstack.profiles import PROFILES

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"default", "collection", "fees", "mail", "exports"}  # written out: a new queue needs a consumer on purpose
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
    depends_on = _compose()["web"]["depends_on"]
    assert depends_on["release"] == {"condition": "service_completed_successfully"}
    assert depends_on["minio-bucket"] == {"condition": "service_completed_successfully"}


def test_every_task_is_consumed_by_one_worker_and_collection_kept_apart():
    """Checked from the routes and beat's schedule, not from a copy of the layout: each task's
    queue is consumed by exactly one worker, and the worker that collects runs no task beat sends
    (closes, sweeps) and no e-mail, so a long collection delays none of them."""
    from config.celery_app import app

    workers = {name: set(worker.queues) for name, worker in processes.workers().items()}
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith(("celery.", "tests."))]
    queue_of = {name: app.amqp.router.route({}, name)["queue"].name for name in ours}
    for task, queue in queue_of.items():
        consumers = [name for name, queues in workers.items() if queue in queues]
        assert len(consumers) == 1, f"{task} ({queue}) is consumed by {consumers or 'nobody'}"
    [collector] = [queues for queues in workers.values() if queue_of["closing.tasks.collect_pledge"] in queues]
    beat_tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    mail_tasks = {task for task in queue_of if task.startswith(("notifications.", "updates."))}
    assert {task for task in beat_tasks | mail_tasks if queue_of[task] in collector} == set()
    assert set().union(*workers.values()) == set(app.amqp.queues) == QUEUES  # no queue without a consumer


def test_collection_runs_on_many_threads():
    collection = processes.workers()["collection"]

    assert (collection.pool, collection.concurrency) == ("threads", 48)


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
