"""Migration tests build an old layout in a database of their own, forwards from nothing, then
upgrade it: walking the shared test database back instead, a test that stopped half-way would
leave it at an old layout for the tests after it. (It costs about what walking back did: Django
builds the state of every migration either way.)"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.state import StateApps

from tests.support.databases import connected_to

Targets = list[tuple[str, str | None]]


@contextmanager
def a_database_of_its_own() -> Iterator[None]:
    """The default connection on a new, empty database for the block (dropped after it). Only for
    tests marked ``django_db(transaction=True)`` (a database is not created inside a transaction)
    and without a live server or other threads (they share the connection's settings)."""
    own = f"{connection.settings_dict['NAME']}_migrations"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{own}"')
    try:
        with connected_to(own):
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{own}" WITH (FORCE)')


def migrate(targets: Targets) -> StateApps:
    """Migrate to the old layout ``targets`` name: every migration but those after a target
    (``(app, None)``: all of the app's) and those that depend on them, as a database of that time
    has them, other apps included. The models as those migrations left them."""
    executor = MigrationExecutor(connection)
    layout = _layout_before(executor.loader.graph, targets)
    executor.migrate(layout)
    # Rendered afresh: the state the migrations leave was rendered model by model, and a model in
    # it may point at an older rendering of another.
    apps: StateApps = executor.loader.project_state(layout).apps
    return apps


def _layout_before(graph: MigrationGraph, targets: Targets) -> list[tuple[str, str]]:
    """The last migration of each app in the layout ``targets`` describe."""
    later: set[tuple[str, str]] = set()
    for app, name in targets:
        if name is None:
            firsts = list(graph.root_nodes(app))
        else:
            firsts = [child for child in graph.node_map[(app, name)].children if child[0] == app]
        for first in firsts:
            later.update(graph.backwards_plan(first))  # the migration and all that depend on it
    kept = set(graph.nodes) - later

    def last_of_its_app(node: tuple[str, str]) -> bool:
        return not any(child in kept and child[0] == node[0] for child in graph.node_map[node].children)

    return sorted(node for node in kept if last_of_its_app(node))


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
