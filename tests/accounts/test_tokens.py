"""API tokens die with the password (a reset, the settings page, the admin, anything that sets
it) and other sessions with it; a user lists their tokens and revokes one, the one in use, or all."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_issue
from tests import factories
from tests.accounts.conftest import PASSWORD, link_in

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "a new long passphrase"


@pytest.fixture
def river():
    return factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)


def _api(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _logged_in(user) -> Client:
    client = Client()
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


# --- defect 4: tokens outlived a password reset --------------------------------------------------


def test_a_password_reset_kills_every_api_token(river):
    tokens = [token_issue(user=river) for _ in range(2)]
    assert all(_api(token).get("/api/pledges/").status_code == 200 for token in tokens)

    Client().post("/password-reset/", {"email": "river@example.com"})
    client = Client()
    form = client.get(link_in(mail.outbox[0], "/password-reset/"), follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302
    assert [_api(token).get("/api/pledges/").status_code for token in tokens] == [401, 401]
    assert not ApiToken.objects.filter(user=river).exists()


def test_a_password_set_anywhere_else_kills_the_tokens_issued_before(river):
    """The admin's form and ``manage.py changepassword`` call set_password and save: no service runs."""
    token = token_issue(user=river)

    river.set_password(NEW_PASSWORD)
    river.save()

    response = _api(token).get("/api/pledges/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    fresh = APIClient().post("/api/auth/token/", {"username": "river", "password": NEW_PASSWORD}, format="json")
    assert _api(fresh.json()["token"]).get("/api/pledges/").status_code == 200


def test_changing_the_password_keeps_this_session_and_ends_the_others_and_the_tokens(river):
    here, elsewhere = _logged_in(river), _logged_in(river)
    token = token_issue(user=river)

    wrong = here.post(
        "/me/account/password/",
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and _api(token).get("/api/pledges/").status_code == 200

    changed = here.post(
        "/me/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert changed.status_code == 302
    assert here.get("/me/account/").status_code == 200
    assert elsewhere.get("/me/account/").status_code == 302  # to the login page
    assert _api(token).get("/api/pledges/").status_code == 401
    river.refresh_from_db()
    assert river.check_password(NEW_PASSWORD)


# --- listing and revoking -------------------------------------------------------------------------


def test_a_user_lists_their_tokens_without_their_values(river):
    first, second = token_issue(user=river), token_issue(user=river)
    token_issue(user=factories.UserFactory())  # someone else's

    response = _api(second).get("/api/auth/tokens/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(t["prefix"], t["current"]) for t in body["results"]] == [(second[:8], True), (first[:8], False)]
    assert set(body["results"][0]) == {"id", "prefix", "created_at", "last_used_at", "expires_at", "current"}
    assert first not in response.text and second not in response.text


def test_a_user_revokes_one_token_then_the_one_in_use_then_all(river):
    keep, drop, current = (token_issue(user=river) for _ in range(3))
    ids = dict(ApiToken.objects.filter(user=river).values_list("prefix", "pk"))

    assert _api(current).delete(f"/api/auth/tokens/{ids[drop[:8]]}/").status_code == 204
    assert _api(drop).get("/api/pledges/").status_code == 401
    assert _api(keep).get("/api/pledges/").status_code == 200

    assert _api(current).delete("/api/auth/tokens/current/").status_code == 204
    assert _api(current).get("/api/pledges/").status_code == 401
    assert _api(keep).get("/api/pledges/").status_code == 200

    another = token_issue(user=river)
    revoked = _api(another).post("/api/auth/tokens/revoke-all/")
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 2}
    assert [_api(t).get("/api/pledges/").status_code for t in (keep, another)] == [401, 401]


def test_nobody_revokes_someone_else_s_token(river):
    theirs = token_issue(user=factories.UserFactory(username="other"))
    theirs_id = ApiToken.objects.get(user__username="other").pk
    mine = token_issue(user=river)

    response = _api(mine).delete(f"/api/auth/tokens/{theirs_id}/")

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert _api(theirs).get("/api/pledges/").status_code == 200
    assert APIClient().get("/api/auth/tokens/").status_code == 401


def test_the_settings_page_lists_and_revokes_tokens(river):
    one, two = token_issue(user=river), token_issue(user=river)
    client = _logged_in(river)

    page = client.get("/me/account/tokens/")
    assert page.status_code == 200
    assert f"{one[:8]}…" in page.text and f"{two[:8]}…" in page.text and one not in page.text
    assert "no-store" in page["Cache-Control"]

    token_id = ApiToken.objects.get(user=river, prefix=one[:8]).pk
    assert client.post("/me/account/tokens/", {"token": token_id}).status_code == 302
    assert _api(one).get("/api/pledges/").status_code == 401
    assert _api(two).get("/api/pledges/").status_code == 200
    other = ApiToken.objects.get(
        pk=ApiToken.objects.create(
            user=factories.UserFactory(),
            key_hash="x" * 64,
            prefix="xxxxxxxx",
            expires_at=ApiToken.objects.get(user=river).expires_at,
        ).pk
    )
    assert client.post("/me/account/tokens/", {"token": other.pk}).status_code == 404
    assert ApiToken.objects.filter(pk=other.pk).exists()

    assert client.post("/me/account/tokens/", {"action": "revoke-all"}).status_code == 302
    assert not ApiToken.objects.filter(user=river).exists()
