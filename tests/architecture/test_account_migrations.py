"""Accounts of before the link-first sign-up upgrade in place: every user gets a profile with
its username key (the older of two look-alike names keeps it), unconfirmed sign-ups that were
inactive users become pending sign-ups (holding nothing any more), and tokens issued before
keep working until the password changes."""

import pytest
from rest_framework.test import APIClient

from tests.support.migrations import a_database_of_its_own, migrate, migrate_to_latest

# auth named too, so the old state's User is today's (auth's first migrations gave last_login a default).
BEFORE = [("auth", "0012_alter_user_first_name_max_length"), ("accounts", "0005_labels_in_the_readers_language")]


@pytest.mark.django_db(transaction=True)
def test_accounts_of_before_get_keys_and_unconfirmed_users_become_sign_ups():
    from accounts.models import PendingSignup, Profile
    from accounts.tokens import token_hash

    with a_database_of_its_own():
        old = migrate(BEFORE)
        users = old.get_model("auth", "User").objects
        river = users.create(username="River", email="river@example.com", password="x", is_active=True)
        twin = users.create(username="RIVER", email="twin@example.com", is_active=True)  # made by hand, long ago
        waiting = users.create(username="maya", email="maya@example.com", password="hash", is_active=False)
        banned = users.create(username="ben", email="ben@example.com", is_active=False, is_staff=True)
        old.get_model("accounts", "Profile").objects.create(user=waiting, language="de")
        raw = "b" * 43
        old.get_model("accounts", "ApiToken").objects.create(
            user=river, key_hash=token_hash(raw), prefix=raw[:8], expires_at="2999-01-01T00:00:00Z"
        )

        migrate_to_latest()

        assert Profile.objects.get(user_id=river.pk).username_key == "river"
        assert Profile.objects.get(user_id=twin.pk).username_key is None  # the older one keeps the key
        pending = PendingSignup.objects.get(email="maya@example.com")
        assert (pending.username, pending.username_key, pending.language, pending.password) == (
            "maya",
            "maya",
            "de",
            "hash",
        )
        remaining = set(old.get_model("auth", "User").objects.values_list("username", flat=True))
        assert remaining == {"River", "RIVER", "ben"}  # staff who never logged in are not sign-ups
        assert Profile.objects.get(user_id=banned.pk).username_key == "ben"
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        assert client.get("/api/pledges/").status_code == 200
