"""PostgreSQL session advisory locks: held across transactions, dropped with the connection.

A worker that dies loses its connection and so its locks: nothing is left locked.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# Namespaces (the first key) so that locks of different kinds never collide.
# 1 was a charge's collection, keyed by the charge (now COLLECTION, keyed by the pledge).
EXPORT = 2
REFUND = 3
CUSTOMER = 4
DEMO = 5
COLLECTION = 6  # a pledge's collection (closing.services.collection.pledge_collect), keyed by the pledge
ACCOUNT_EMAIL = 7  # an e-mail address being claimed by an account, keyed by the address's hash
CREATOR_DRAFTS = 8  # a creator's drafts being counted before another is made, keyed by the user id
PAYOUT = 9  # a campaign's payout (payouts.services.campaign_payout), keyed by the campaign
PAYOUT_ACCOUNT = 10  # a creator's payout account being created at the provider, keyed by the creator


def transaction_lock_on_text(namespace: int, text: str) -> None:
    """Wait for a lock on a piece of text (hashed by PostgreSQL), held until the transaction ends.

    For what has no row to lock yet, e.g. an e-mail address that two sign-ups claim at once.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [namespace, text])


@contextmanager
def try_advisory_lock(namespace: int, key: int) -> Iterator[bool]:
    """Yields True if this session got the lock (then releases it), False if another holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])


@contextmanager
def advisory_lock(namespace: int, key: int) -> Iterator[None]:
    """Wait for the lock, hold it for the block. Not a row lock: safe around a provider call."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [namespace, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
