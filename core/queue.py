"""Enqueue a Celery task only once the current transaction commits (right away outside one).

Tasks are named by their dotted path ("closing.tasks.collect_campaign"), so a service
never imports its app's tasks module (which imports the service): no import loop.
"""

from functools import partial
from importlib import import_module

from celery import Task, current_app
from django.db import transaction


def _delay(task_name: str, *args) -> None:
    if task_name not in current_app.tasks:
        # Outside a worker, tasks modules are imported when first used.
        import_module(task_name.rpartition(".")[0])
    current_app.tasks[task_name].delay(*args)


def enqueue_on_commit(task: str | Task, *args) -> None:
    name = task if isinstance(task, str) else task.name
    # A partial, not a lambda: tests can read which task and arguments are waiting.
    transaction.on_commit(partial(_delay, name, *args))


def queued(callbacks) -> list[tuple[str, tuple]]:
    """(task name, args) of on_commit callbacks captured in a test."""
    return [(cb.args[0], cb.args[1:]) for cb in callbacks if isinstance(cb, partial) and cb.func is _delay]
