"""Fixtures of the account tests: mail-limit counters start empty, links are read from e-mails."""

import re

import pytest
import redis
from django.conf import settings
from django.core import mail

from accounts.mail_limits import PREFIX

PASSWORD = "correct horse battery staple"


@pytest.fixture
def fresh_mail_limits():
    """The account-mail counters live in Redis outside Django's cache: forget them for this test."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{PREFIX}:*"):
        client.delete(key)
    yield
    for key in client.scan_iter(f"{PREFIX}:*"):
        client.delete(key)


def link_in(message, path: str) -> str:
    """The site-relative link under ``path`` that an e-mail carries (its text part)."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+/)", message.body)
    assert match, f"no {path} link in:\n{message.body}"
    return match.group(1)


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]
