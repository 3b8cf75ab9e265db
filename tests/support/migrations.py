"""Migration tests walk the test database back to an old layout; the database is left at the latest."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def back_to_latest() -> None:
    """The latest migrations, for the tests after this one, when a test stopped before its own
    upgrade. Django builds the whole project state even for an empty plan (seconds of CPU), so the
    migrations run only when some are not applied."""
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    if executor.migration_plan(targets):
        executor.migrate(targets)
