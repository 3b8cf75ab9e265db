"""Enqueue a Celery task only once the current transaction commits (right away outside one)."""

from functools import partial

from celery import Task
from django.db import transaction


def enqueue_on_commit(task: Task, *args) -> None:
    # A partial, not a lambda: tests can read which task and arguments are waiting.
    transaction.on_commit(partial(task.delay, *args))


def queued(callbacks) -> list[tuple[str, tuple]]:
    """(task name, args) of on_commit callbacks captured in a test."""
    return [(callback.func.__self__.name, callback.args) for callback in callbacks if isinstance(callback, partial)]
