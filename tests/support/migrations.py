"""Migration tests build an old layout in a database of their own, forwards from nothing, then
upgrade it. Django walks back from the latest migrations only after building the state of every
migration (about 5 s of CPU a test), and a test that stops half-way would leave the shared test
database at an old layout; an empty database of its own costs neither."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

Targets = list[tuple[str, str | None]]


@contextmanager
def a_database_of_its_own() -> Iterator[None]:
    """The default connection on a new, empty database for the block (dropped after it). Only for
    tests marked ``django_db(transaction=True)``: a database is not created inside a transaction."""
    shared = connection.settings_dict["NAME"]
    own = f"{shared}_migrations"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{own}"')
    _reconnect(own)
    try:
        yield
    finally:
        _reconnect(shared)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{own}" WITH (FORCE)')


def _reconnect(name: str) -> None:
    connection.close()
    connection.close_pool()
    connection.settings_dict["NAME"] = name
    # Content types are cached by id, and ids are a database's own.
    ContentType.objects.clear_cache()


def migrate(targets: Targets) -> StateApps:
    """Migrate to ``targets``; the models as those migrations left them."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # Rendered afresh: the state the migrations leave was rendered model by model, and a model in
    # it may point at an older rendering of another.
    apps: StateApps = executor.loader.project_state([target for target in targets if target[1]]).apps
    return apps


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
