"""categories_install makes the fixed categories that are missing, under their parents in the order
shown, and leaves the rows that are there as they are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Category
from campaigns.services import categories_install

pytestmark = pytest.mark.django_db


def _rows() -> set[tuple[str, str | None, int]]:
    return set(Category.objects.values_list("slug", "parent__slug", "position"))


def test_a_database_without_categories_gets_all_53_under_their_parents():
    Category.objects.exclude(parent=None).delete()
    Category.objects.all().delete()

    assert categories_install() == 53

    rows = _rows()
    assert len(rows) == 53
    assert ("art", None, 0) in rows and ("theater", None, 14) in rows
    assert ("illustration", "art", 0) in rows and ("sculpture", "art", 2) in rows
    assert ("musicals", "theater", 1) in rows
    assert Category.objects.filter(parent=None).count() == 15


def test_only_the_missing_rows_are_made_and_the_others_left_as_they_are():
    categories_install()
    Category.objects.filter(slug__in=["pottery", "knitting"]).delete()
    Category.objects.filter(slug="comics").update(position=40)  # moved by hand: stays moved
    before = _rows()

    assert categories_install() == 2

    assert _rows() - before == {("pottery", "crafts", 1), ("knitting", "crafts", 2)}
    assert ("comics", None, 40) in _rows()

    with CaptureQueriesContext(connection) as queries:
        assert categories_install() == 0
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements == ["SAVEPOINT", "SELECT", "RELEASE"]  # one look, nothing written
