"""Enqueue a Celery task only once the current transaction commits (right away outside one).

Tasks are named by their dotted path ("closing.tasks.collect_campaign"), so a service
never imports its app's tasks module (which imports the service): no import loop.
"""

from collections.abc import Iterable
from importlib import import_module
from typing import Any

from celery import Task, current_app
from django.db import transaction


class Enqueue:
    """The on-commit callback: sends one task message. Tests can read what is waiting."""

    def __init__(self, task_name: str, args: tuple[Any, ...]):
        self.task_name, self.args = task_name, args
        self.__qualname__ = f"enqueue {task_name}"  # what Django logs if sending fails

    def __call__(self) -> None:
        if self.task_name not in current_app.tasks:
            # Outside a worker, tasks modules are imported when first used.
            import_module(self.task_name.rpartition(".")[0])
        current_app.tasks[self.task_name].delay(*self.args)


def enqueue_on_commit(task: str | Task, *args: Any) -> None:
    name = task if isinstance(task, str) else task.name
    # robust: a broker that is down must not turn a committed pledge into an error (Django
    # logs it); the sweeps find the work the lost message would have started.
    transaction.on_commit(Enqueue(name, args), robust=True)


def queued(callbacks: Iterable[object]) -> list[tuple[str, tuple[Any, ...]]]:
    """(task name, args) of on_commit callbacks captured in a test."""
    return [(cb.task_name, cb.args) for cb in callbacks if isinstance(cb, Enqueue)]
