"""Indexes that clean-ups and sweeps rely on exist in the migrated database (issue 18, item 5.4)."""

import pytest
from django.db import connection

from pledges.models import Pledge

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Pledge._meta.db_table)
    return {name: c for name, c in constraints.items() if c["index"] and not c["primary_key"]}


def test_payment_method_id_is_indexed_for_forget_card():
    assert [name for name, index in _indexes().items() if index["columns"] == ["payment_method_id"]] == [
        "pledge_payment_method_idx"
    ]


def test_lapsed_holds_with_an_open_setup_intent_have_a_partial_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'pledge_lapsed_card_open_idx'")
        (definition,) = cursor.fetchone()
    assert "(ended_at)" in definition
    assert "WHERE" in definition and "setup_client_secret" in definition and "'expired'" in definition
