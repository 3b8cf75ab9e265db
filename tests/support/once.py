"""Data built once for a whole test module, as Django's ``TestCase.setUpTestData`` builds it once
for a class.

Some fixtures cost a second or more (campaigns in every state, pledges saved, collected and
refunded at localstripe) and dozens of tests in a module only read them or change them in their
own transaction. ``built_once`` opens one transaction around the module (marked as a test case's,
as Django's class-level one is), each test runs in a savepoint inside it (pytest-django's ``db``),
and the module's transaction is rolled back after its last test. Each test gets a deep copy of
what was built (``each_test``), so a test that changes an instance in memory changes nobody else's.

A module that builds data once is marked ``provider_store_per_module``: localstripe's store is
emptied before the data is built and kept then (the data's customers, PaymentIntents and charges
live there); before each test it goes back to that snapshot, as the tables go back to theirs.
Such a module has no transactional test (its flush would empty the tables under the module's
transaction).
"""

import copy
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.test import TestCase, override_settings

from pledges.payments import get_gateway
from tests.support.payments import (
    flush_localstripe,
    forget_localstripe_snapshot,
    restore_localstripe,
    snapshot_localstripe,
)

MARKER = "provider_store_per_module"
T = TypeVar("T")


# What tests/conftest.py's autouse fixtures set for each test not marked otherwise: module data is
# built before any test's fixtures run.
BUILT_WITH = {
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "MFA_REQUIRED_FOR_STAFF": False,
    "MFA_REQUIRED_FOR_CREATORS": False,
    "PAYOUTS_REQUIRED_TO_LAUNCH": False,
    "CAMPAIGN_REVIEW_REQUIRED": False,
}


class _ModuleTransaction(TestCase):
    """Only its class-level atomics are used: one per database, marked as a test case's."""

    databases = {"default"}


def built_once(request, django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """For a module-scoped fixture (``yield from``): what ``build`` returns, built once in a
    transaction rolled back after the module's last test. ``request`` is the fixture's: its
    module must be marked."""
    if request.node.get_closest_marker(MARKER) is None:
        raise RuntimeError(f"{request.node.nodeid} builds data once: mark it pytest.mark.{MARKER}")
    with django_db_blocker.unblock():
        atomics = _ModuleTransaction._enter_atomics()
    try:
        with django_db_blocker.unblock(), override_settings(**BUILT_WITH):
            flush_localstripe(get_gateway())
            data = build()
            snapshot_localstripe(get_gateway())
        yield data
    finally:
        with django_db_blocker.unblock():
            _ModuleTransaction._rollback_atomics(atomics)
        forget_localstripe_snapshot(get_gateway())
        flush_localstripe(get_gateway())


def each_test(data: Any) -> Any:
    """A test's own copy of the module's data (Django's ``TestData`` deep-copies the same way)."""
    return copy.deepcopy(data)


def provider_back_to_the_snapshot() -> None:
    """Before each test of a marked module: localstripe as the module's data left it (empty while
    the module has built none)."""
    gateway = get_gateway()
    if not restore_localstripe(gateway):
        flush_localstripe(gateway)
