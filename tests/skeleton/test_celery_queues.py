"""Each task goes to its queue, and every queue has a consumer wherever workers are started."""

from pathlib import Path

import yaml

from config.celery_app import app
from devstack.__main__ import WORKER_QUEUES

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"default", "collection", "mail", "exports"}

EXPECTED_QUEUE = {
    "accounts.tasks.forget_expired_tokens": "default",
    "closing.tasks.close_due_campaigns": "default",
    "closing.tasks.collection_sweep": "default",
    "closing.tasks.collect_campaign": "collection",
    "closing.tasks.collect_pledge": "collection",
    "pledges.tasks.expire_pending_pledges": "default",
    "pledges.tasks.forget_idempotency_keys": "default",
    "notifications.tasks.send_notifications": "mail",
    "notifications.tasks.fan_out_campaign_notification": "mail",
    "notifications.tasks.ending_soon_sweep": "mail",
    "notifications.tasks.creator_digest": "mail",
    "notifications.tasks.mail_sweep": "mail",
    "updates.tasks.fan_out_update": "mail",
    "updates.tasks.send_update": "mail",
    "updates.tasks.update_mail_sweep": "mail",
    "reports.tasks.build_export": "exports",
    "reports.tasks.export_sweep": "default",
    "reports.tasks.forget_old_exports": "default",
}


def _queue_option(command: list[str]) -> set[str]:
    flag = next(i for i, part in enumerate(command) if part in ("-Q", "--queues"))
    return set(command[flag + 1].split(","))


def test_every_task_is_routed_to_its_queue():
    app.loader.import_default_modules()
    ours = sorted(name for name in app.tasks if not name.startswith("celery."))

    assert ours == sorted(EXPECTED_QUEUE)  # a new task gets a queue on purpose, here
    assert {name: app.amqp.router.route({}, name)["queue"].name for name in ours} == EXPECTED_QUEUE
    assert app.conf.task_default_queue == "default"
    assert set(app.amqp.queues) == QUEUES


def test_beat_sends_nothing_to_the_collection_queue():
    beat_tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert {EXPECTED_QUEUE[task] for task in beat_tasks} == {"default", "mail"}


def _assert_every_task_is_consumed_and_collection_kept_apart(workers: dict[str, set[str]]) -> None:
    """Checked from the routes and beat's schedule, not from a copy of the layout: each task's
    queue is consumed by exactly one worker, and the worker that collects runs no task beat
    sends (closes, sweeps) and no e-mail, so a long collection delays none of them."""
    app.loader.import_default_modules()
    queue_of = {name: app.amqp.router.route({}, name)["queue"].name for name in EXPECTED_QUEUE}
    for task, queue in queue_of.items():
        consumers = [name for name, queues in workers.items() if queue in queues]
        assert len(consumers) == 1, f"{task} ({queue}) is consumed by {consumers or 'nobody'}"
    [collector] = [queues for queues in workers.values() if queue_of["closing.tasks.collect_pledge"] in queues]
    beat_tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    mail_tasks = {task for task in queue_of if task.startswith(("notifications.", "updates."))}
    assert {task for task in beat_tasks | mail_tasks if queue_of[task] in collector} == set()
    assert set().union(*workers.values()) <= set(app.amqp.queues)  # no worker waits on a queue nothing is sent to


def test_the_demo_workers_consume_every_queue_and_keep_collection_apart():
    _assert_every_task_is_consumed_and_collection_kept_apart(
        {name: set(queues.split(",")) for name, queues in WORKER_QUEUES.items()}
    )


def test_docker_compose_workers_consume_every_queue_and_keep_collection_apart():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    commands = {name: service.get("command") for name, service in services.items()}
    workers = {
        name: _queue_option(command.split())
        for name, command in commands.items()
        if isinstance(command, str) and command.startswith("celery -A config worker")
    }

    assert set(workers) == {"worker", "worker-collection"}
    _assert_every_task_is_consumed_and_collection_kept_apart(workers)
