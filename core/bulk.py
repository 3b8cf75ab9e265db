from collections.abc import Iterable
from itertools import islice

from django.db import models


def insert_missing(
    model: type[models.Model], rows: Iterable[models.Model], *, existing: models.QuerySet, batch_size: int = 1000
) -> int:
    """Insert rows in batches, skipping any a unique constraint says exist already; how many were new.

    Safe to run twice or concurrently: the database, not a read first, decides what is new.
    """
    before = existing.count()
    rows = iter(rows)
    while batch := list(islice(rows, batch_size)):
        model.objects.bulk_create(batch, ignore_conflicts=True)
    return existing.count() - before
