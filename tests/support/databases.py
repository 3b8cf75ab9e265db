"""The default connection pointed at another database of the same server for a block: for the
code that builds one (the migration tests' databases, the parallel run's template database)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection


@contextmanager
def connected_to(name: str) -> Iterator[None]:
    """Only where no other thread uses the connection's settings (they share them)."""
    shared = connection.settings_dict["NAME"]
    try:
        _reconnect(name)
        yield
    finally:
        _reconnect(shared)


def _reconnect(name: str) -> None:
    try:
        connection.close()
        connection.close_pool()
    finally:
        connection.settings_dict["NAME"] = name
        # Content types are cached by id, and ids are a database's own.
        ContentType.objects.clear_cache()
