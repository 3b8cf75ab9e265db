"""The SetupIntent's client secret, and any other secret, never reaches a page of the admin: not a
list, a form, a search, a filter, an action page or an export."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts.models import ApiToken
from pledges.models import WebhookEvent

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: tests/admin/conftest.py


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_client_secret_is_on_no_admin_page(books, admin_client):
    pending = books.pledges["pending"]
    secret = pending.setup_client_secret
    assert secret.startswith(f"{pending.setup_intent_id}_secret_")  # a real one, from localstripe
    event = WebhookEvent.objects.get(event_id="evt_admin_2")
    assert event.payload["data"]["object"]["client_secret"] == secret  # stored as Stripe sent it
    pledges = "/admin/pledges/pledge/"

    pages = {
        "list": admin_client.get(pledges),
        "list searched by the intent": admin_client.get(pledges, {"q": pending.setup_intent_id}),
        "change form": admin_client.get(f"{pledges}{pending.pk}/change/"),
        "history": admin_client.get(f"{pledges}{pending.pk}/history/"),
        "refund confirmation": admin_client.post(
            pledges, {"action": "refund_pledges", ACTION_CHECKBOX_NAME: [pending.pk], "index": 0}
        ),
        "export": admin_client.post(pledges, {"action": "export_csv", ACTION_CHECKBOX_NAME: [pending.pk], "index": 0}),
        "webhook event": admin_client.get(f"/admin/pledges/webhookevent/{event.pk}/change/"),
        "webhook events": admin_client.get("/admin/pledges/webhookevent/", {"q": "setup_intent.created"}),
        "campaign": admin_client.get(f"/admin/campaigns/campaign/{pending.campaign_id}/change/"),
        "backer": admin_client.get(f"/admin/auth/user/{pending.backer_id}/change/"),
        "dashboard": admin_client.get("/admin/dashboard/"),
    }

    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert [name for name, r in pages.items() if secret.encode() in _body(r)] == []
    assert [name for name, r in pages.items() if b"_secret_" in _body(r)] == []
    # The pages are the real ones: the pledge is on them, found by its SetupIntent's id.
    assert [p.pk for p in pages["list searched by the intent"].context["cl"].result_list] == [pending.pk]
    # Nor does a search by the secret find anything (the search box echoes what was typed, no more).
    assert admin_client.get(pledges, {"q": secret}).context["cl"].result_list.count() == 0
    assert pending.setup_intent_id.encode() in pages["change form"].content
    assert b"[hidden]" in pages["webhook event"].content


@pytest.mark.parametrize(
    "query",
    [
        "setup_client_secret__startswith=seti_",
        "setup_client_secret=x",
        "charges__pledge__setup_client_secret__contains=_secret_",
    ],
)
def test_no_filter_in_the_url_reaches_the_client_secret(books, admin_client, query):
    """A filter on the secret would reveal it character by character from the row counts."""
    response = admin_client.get(f"/admin/pledges/pledge/?{query}")

    assert response.status_code == 400


def test_charges_cannot_be_filtered_by_their_pledge_s_secret(books, admin_client):
    response = admin_client.get("/admin/pledges/charge/?pledge__setup_client_secret__startswith=seti_")

    assert response.status_code == 400


def test_api_token_hashes_are_on_no_admin_page(books, admin_client):
    token = ApiToken.objects.get(user=books.pledges["pending"].backer)
    tokens = "/admin/accounts/apitoken/"

    pages = [
        admin_client.get(tokens),
        admin_client.get(tokens, {"q": token.prefix}),
        admin_client.get(f"{tokens}{token.pk}/change/"),
        admin_client.get(f"/admin/auth/user/{token.user_id}/change/"),
    ]

    assert [r.status_code for r in pages] == [200, 200, 200, 200]
    assert [r for r in pages if token.key_hash.encode() in r.content] == []
    assert token.prefix.encode() in pages[2].content
    assert admin_client.get(f"{tokens}?key_hash={token.key_hash}").status_code == 400


def test_two_factor_devices_show_no_secret_and_support_can_remove_them(admin_client):
    from base64 import b32encode

    from accounts.mfa import mfa_enabled, mfa_enrolment_confirm, mfa_enrolment_start
    from tests import factories
    from tests.factories import totp_code

    maya = factories.UserFactory(username="maya")
    device = mfa_enrolment_start(user=maya)
    _device, codes = mfa_enrolment_confirm(user=maya, code=totp_code(device.bin_key))
    static = maya.staticdevice_set.get()
    pages = {
        "apps": admin_client.get("/admin/otp_totp/totpdevice/"),
        "app": admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/"),
        "codes": admin_client.get("/admin/otp_static/staticdevice/"),
        "code list": admin_client.get(f"/admin/otp_static/staticdevice/{static.pk}/change/"),
    }
    secrets = [device.key.encode(), b32encode(device.bin_key), *(code.encode() for code in codes)]

    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert [name for name, r in pages.items() if any(secret in r.content for secret in secrets)] == []
    qr_page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/", follow=True)  # django-otp's
    assert not any(secret in qr_page.content for secret in secrets) and b"otpauth" not in qr_page.content
    assert admin_client.get("/admin/otp_totp/totpdevice/add/").status_code == 403

    admin_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    admin_client.post(f"/admin/otp_static/staticdevice/{static.pk}/delete/", {"post": "yes"})
    assert not mfa_enabled(maya)
