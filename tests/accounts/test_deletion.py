"""Your data: a JSON copy of everything held about a person, and deleting the account: personal
data erased at once, money records kept without name or address, the backer report saying
"deleted user", nothing deleted while a campaign is live or a pledge open."""

import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import ApiToken, PaymentCustomer, Profile, Unsubscription
from accounts.services import unsubscribe, user_delete, user_deletion_blockers
from accounts.signals import account_deletion_blockers
from accounts.tokens import token_issue
from campaigns.models import Campaign
from closing.services import campaign_close_now, collection
from core.errors import Conflict, InvalidInput
from notifications.models import Notification, Reminder
from notifications.services import reminder_set
from pledges.models import Charge, Pledge
from pledges.services import PledgeRequest, pledge_cancel, pledge_create
from reports.backers import BACKER_HEADER, backer_report
from reports.writers import write_xlsx
from tests import factories
from tests.accounts.conftest import PASSWORD, link_in
from tests.conftest import client_for
from tests.support.books import parse_csv, streamed

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def river():
    return factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _collected_pledge(backer, *, title="Pocket Atlas", amount="25.00") -> Pledge:
    campaign = factories.LiveCampaignFactory(title=title, goal=Decimal("10.00"))
    ask = PledgeRequest(
        campaign_id=campaign.pk,
        amount=Decimal(amount),
        payment_method_id=factories.payment_method(factories.CARD_SUCCEEDS),
    )
    pledge = pledge_create(backer=backer, ask=ask)
    campaign_close_now(campaign_id=campaign.pk)
    collection.pledge_collect(pledge_id=pledge.pk)
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.COLLECTED
    return pledge


# --- the copy ---------------------------------------------------------------------------------


def test_the_download_holds_everything_about_the_person_and_nothing_secret(river):
    pledge = _collected_pledge(river)
    charge = Charge.objects.get(pledge=pledge)
    unsubscribe(user_id=river.pk, campaign_id=pledge.campaign_id)
    raw_token = token_issue(user=river)
    own = factories.DraftCampaignFactory(creator=river, title="Night Sky Zine")
    Notification.objects.create(recipient=river, kind="pledge_confirmed", key="k-1", params={"pledge_id": pledge.pk})
    someone_else = _collected_pledge(factories.UserFactory(), title="Another")

    response = _logged_in(river).get("/me/account/data.json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="pledgeboard-data-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["format"] == "pledgeboard-personal-data/1"
    assert data["profile"]["username"] == "river" and data["profile"]["email"] == "river@example.com"
    assert [(p["id"], p["amount"], p["state"]) for p in data["pledges"]] == [(pledge.pk, "25.00", "collected")]
    assert [(c["id"], c["amount"], c["state"]) for c in data["charges"]] == [(charge.pk, "25.00", "succeeded")]
    assert data["opt_outs"] == [
        {"what": "campaign updates", "campaign": pledge.campaign_id, "created_at": data["opt_outs"][0]["created_at"]}
    ]
    assert [t["prefix"] for t in data["api_tokens"]] == [raw_token[:8]]
    assert [c["title"] for c in data["campaigns"]] == ["Night Sky Zine"] and data["campaigns"][0]["id"] == own.pk
    assert {"kind": "pledge_confirmed", "about": {"pledge_id": pledge.pk}} in [
        {"kind": n["kind"], "about": n["about"]} for n in data["notifications"]
    ]
    text = response.content.decode()
    assert raw_token not in text and ApiToken.objects.get(user=river).key_hash not in text
    assert river.password not in text
    assert str(someone_else.pk) not in [str(p["id"]) for p in data["pledges"]]
    assert "Another" not in text


def test_the_download_needs_a_login():
    response = Client().get("/me/account/data.json")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- deleting --------------------------------------------------------------------------------------


def test_deleting_erases_the_person_keeps_the_money_records_and_frees_the_name(
    river, django_capture_on_commit_callbacks
):
    pledge = _collected_pledge(river)
    campaign = pledge.campaign
    charge = Charge.objects.get(pledge=pledge)
    token = token_issue(user=river)
    unsubscribe(user_id=river.pk, campaign_id=None)
    reminder_set(user=river, campaign=factories.LiveCampaignFactory(title="Soon"))
    Profile.objects.filter(user=river).update(display_name="River Song", language="de")
    draft = factories.DraftCampaignFactory(creator=river, title="Night Sky Zine")
    browser, other_browser = _logged_in(river), _logged_in(river)

    wrong = browser.post("/me/account/delete/", {"password": "not it"})
    assert wrong.status_code == 400 and User.objects.get(pk=river.pk).username == "river"

    with django_capture_on_commit_callbacks(execute=True):
        deleted = browser.post("/me/account/delete/", {"password": PASSWORD})

    assert deleted.status_code == 302 and deleted["Location"] == "/"
    gone = User.objects.get(pk=river.pk)
    assert (gone.username, gone.email, gone.first_name, gone.last_name) == (f"~deleted-{river.pk}", "", "", "")
    assert not gone.is_active and not gone.has_usable_password()
    profile = Profile.objects.get(user=gone)
    assert (profile.display_name, profile.language, profile.username_key) == ("", "", None)
    assert profile.deleted_at is not None
    assert not ApiToken.objects.filter(user=gone).exists()
    assert not Unsubscription.objects.filter(user=gone).exists()
    assert not Reminder.objects.filter(user=gone).exists()
    assert not Notification.objects.filter(recipient=gone).exists()
    assert not Campaign.objects.filter(pk=draft.pk).exists()
    # What the law keeps stays, pointing at the anonymous row.
    assert Pledge.objects.get(pk=pledge.pk).backer_id == gone.pk
    assert Charge.objects.get(pk=charge.pk).amount == Decimal("25.00")
    assert PaymentCustomer.objects.filter(user=gone).exists()
    # Every session and token is dead.
    assert browser.get("/me/account/").status_code == 302
    assert other_browser.get("/me/account/").status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/pledges/").status_code == 401
    assert Client().post("/login/", {"username": "river", "password": PASSWORD}).status_code == 400
    # The name and the address are free again: someone signs up with both.
    mail.outbox.clear()
    assert (
        Client()
        .post("/register/", {"username": "river", "email": "river@example.com", "password": PASSWORD})
        .status_code
        == 302
    )
    assert Client().get(link_in(mail.outbox[0], "/verify/")).status_code == 302
    newcomer = User.objects.get(username="river")
    assert newcomer.pk != gone.pk and newcomer.email == "river@example.com"
    assert campaign.pledges.get().backer_id == gone.pk  # the old pledge is not the newcomer's


def test_the_backer_report_of_a_deleted_backer_says_deleted_user_in_every_format(river):
    pledge = _collected_pledge(river)
    campaign = pledge.campaign
    user_delete(user=river, password=PASSWORD)

    csv_response = client_for(campaign.creator).get(f"/api/campaigns/{campaign.pk}/backers.csv")
    rows = parse_csv(streamed(csv_response))
    (row,) = [dict(zip(BACKER_HEADER, values, strict=True)) for values in rows[1:]]
    assert (row["Backer UID"], row["Backer Name"], row["Email"]) == (str(river.pk), "deleted user", "")
    assert row["Pledge Amount"] == "25.00"

    out = BytesIO()
    write_xlsx(backer_report(campaign), out)
    sheet = load_workbook(BytesIO(out.getvalue())).active
    header, *cells = [list(values) for values in sheet.iter_rows(values_only=True)]
    record = dict(zip(header, cells[0], strict=True))
    assert record["Backer Name"] == "deleted user" and record["Email"] in (None, "")

    (python_row,) = list(backer_report(campaign).sections[0].rows)
    assert python_row[2] == "deleted user" and python_row[3] == ""

    dashboard = _logged_in(campaign.creator).get(f"/studio/{campaign.slug}/")
    assert "deleted user" in dashboard.text and f"~deleted-{river.pk}" not in dashboard.text


def test_a_creator_with_a_live_campaign_cannot_delete_until_it_is_settled(river):
    campaign = factories.LiveCampaignFactory(creator=river, title="Pocket Atlas")
    client = _logged_in(river)

    page = client.get("/me/account/delete/")
    refused = client.post("/me/account/delete/", {"password": PASSWORD})

    assert "Your campaign “Pocket Atlas” is live" in page.text
    assert 'type="password"' not in page.text  # no form to fill while it cannot work
    assert refused.status_code == 400
    assert User.objects.get(pk=river.pk).username == "river"
    with pytest.raises(Conflict) as raised:
        user_delete(user=river, password=PASSWORD)
    assert raised.value.code == "account_in_use" and "Pocket Atlas" in raised.value.message

    campaign_close_now(campaign_id=campaign.pk)  # failed (nothing pledged): settled
    assert user_deletion_blockers(user=river) == []
    user_delete(user=river, password=PASSWORD)
    assert Campaign.objects.get(pk=campaign.pk).creator.username == f"~deleted-{river.pk}"


def test_a_backer_with_an_open_pledge_cannot_delete_until_it_is_canceled(river):
    campaign = factories.LiveCampaignFactory(title="Pocket Atlas")
    ask = PledgeRequest(
        campaign_id=campaign.pk,
        amount=Decimal("5.00"),
        payment_method_id=factories.payment_method(factories.CARD_SUCCEEDS),
    )
    pledge = pledge_create(backer=river, ask=ask)

    (reason,) = user_deletion_blockers(user=river)
    assert "Pocket Atlas" in reason

    pledge_cancel(pledge=pledge)
    user_delete(user=river, password=PASSWORD)
    assert not User.objects.get(pk=river.pk).is_active


def test_apps_above_accounts_add_their_own_blockers_through_the_signal(river):
    def unpaid_payout(sender, *, user, **kwargs):
        return ["An unpaid payout."] if user.pk == river.pk else []

    account_deletion_blockers.connect(unpaid_payout, dispatch_uid="test-unpaid-payout")
    try:
        assert user_deletion_blockers(user=river) == ["An unpaid payout."]
        with pytest.raises(Conflict):
            user_delete(user=river, password=PASSWORD)
    finally:
        account_deletion_blockers.disconnect(dispatch_uid="test-unpaid-payout")
    assert User.objects.get(pk=river.pk).username == "river"


def test_a_wrong_password_deletes_nothing(river):
    with pytest.raises(InvalidInput):
        user_delete(user=river, password="guess")

    assert User.objects.get(pk=river.pk).is_active
