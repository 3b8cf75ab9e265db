from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.test import Client
from openpyxl import load_workbook

from accounts.models import PaymentCustomer
from campaigns.models import Campaign
from closing.tasks import collect_pledge
from core.queue import queued
from notifications.models import Notification
from pledges.models import Charge, Pledge, WebhookEvent
from reports.backers import PLEDGE_HEADER
from reports.models import ExportJob
from reports.platform import CAMPAIGN_HEADER
from rewards.models import RewardTier
from tests import factories
from tests.support.books import parse_csv, split_sections
from updates.models import CampaignUpdate

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: tests/admin/conftest.py


def _action(client, url, action, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], "index": 0, **extra}
    return client.post(url, data)


def _confirm(client, url, action, objects):
    return client.post(url, {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], "post": "yes"})


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


MODELS = {
    "campaigns/campaign": Campaign,
    "updates/campaignupdate": CampaignUpdate,
    "reports/exportjob": ExportJob,
    "rewards/rewardtier": RewardTier,
    "pledges/pledge": Pledge,
    "pledges/charge": Charge,
    "pledges/webhookevent": WebhookEvent,
    "accounts/paymentcustomer": PaymentCustomer,
    "notifications/notification": Notification,
}


@pytest.mark.parametrize("path", list(MODELS))
def test_changelists_and_change_pages_render_for_staff(books, admin_client, path):
    model = MODELS[path]
    assert model.objects.exists()

    changelist = admin_client.get(f"/admin/{path}/")
    change = admin_client.get(f"/admin/{path}/{model.objects.order_by('pk').last().pk}/change/")

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert changelist.context["cl"].result_count == model.objects.count()


def _all_pledges(books) -> set[int]:
    """The nine pledges of the books: live (active, pending), successful (collected, refunded,
    errored, canceled), failed (released), canceled (released) and flexible (collected)."""
    pledges = {pledge.pk for campaign in books.campaigns for pledge in campaign.pledges.all()}
    assert len(pledges) == 9
    return pledges


LIST_FILTERS = [
    (
        "campaigns/campaign",
        "state__exact=live&funding_model__exact=all_or_nothing",
        lambda books: {books.by_state["live"].pk},
    ),
    (
        "campaigns/campaign",
        "deadline__gte=2000-01-01+00%3A00%3A00%2B00%3A00&q=Funded",
        lambda books: {books.by_state["successful"].pk},
    ),
    (
        "pledges/pledge",
        "state__exact=collected&campaign__state__exact=successful",
        lambda books: {books.pledges["collected"].pk, books.by_state["flexible"].pledges.get().pk},
    ),
    ("pledges/pledge", "created_at__gte=2000-01-01+00%3A00%3A00%2B00%3A00", _all_pledges),
    ("pledges/charge", "state__exact=failed", lambda books: {books.pledges["errored"].charges.get().pk}),
    (
        "pledges/webhookevent",
        "status__exact=ignored",
        lambda books: set(
            WebhookEvent.objects.filter(event_id__in=["evt_admin_1", "evt_admin_2"]).values_list("pk", flat=True)
        ),
    ),
    (
        "reports/exportjob",
        "state__exact=queued&kind__exact=backers",
        lambda books: {ExportJob.objects.get(kind="backers").pk},
    ),
]


@pytest.mark.parametrize(("path", "query", "expected"), LIST_FILTERS, ids=[f"{p}-{q}" for p, q, _ in LIST_FILTERS])
def test_list_filters_work(books, admin_client, path, query, expected):
    response = admin_client.get(f"/admin/{path}/?{query}")

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert {row.pk for row in changelist.result_list} == expected(books)
    assert changelist.result_count == len(expected(books))


def test_search_finds_campaigns_by_title_and_pledges_by_backer_email(books, admin_client):
    pledge = books.pledges["collected"]

    campaigns = admin_client.get("/admin/campaigns/campaign/", {"q": "Funded one"})
    pledges = admin_client.get("/admin/pledges/pledge/", {"q": pledge.backer.email})

    assert [c.pk for c in campaigns.context["cl"].result_list] == [books.by_state["successful"].pk]
    assert [p.pk for p in pledges.context["cl"].result_list] == [pledge.pk]


def test_money_and_state_of_a_campaign_are_read_only(books, admin_client):
    live = books.by_state["live"]
    url = f"/admin/campaigns/campaign/{live.pk}/change/"

    form = admin_client.get(url).context["adminform"].form
    response = admin_client.post(
        url,
        {
            "title": "Renamed by staff",
            "description": "New words",
            "pledged": "999999",
            "state": "successful",
            "goal": "1",
            "backers_count": "0",
            "rewards-TOTAL_FORMS": "1",
            "rewards-INITIAL_FORMS": "1",
            "rewards-MIN_NUM_FORMS": "0",
            "rewards-MAX_NUM_FORMS": "1000",
        },
    )

    assert set(form.fields) == {"title", "blurb", "category", "description"}
    assert response.status_code == 302, response.content[:500]
    before = live.pledged
    live.refresh_from_db()
    assert (live.title, live.description) == ("Renamed by staff", "New words")
    assert (live.pledged, live.state, live.goal, live.backers_count) == (before, "live", Decimal("100.000"), 1)


def test_a_closed_campaign_is_entirely_read_only(books, admin_client):
    successful = books.by_state["successful"]

    form = admin_client.get(f"/admin/campaigns/campaign/{successful.pk}/change/").context["adminform"].form

    assert set(form.fields) == set()


def test_a_tier_s_price_and_stock_are_read_only(books, admin_client):
    tier = books.by_state["live"].rewards.get()

    form = admin_client.get(f"/admin/rewards/rewardtier/{tier.pk}/change/").context["adminform"].form

    assert set(form.fields) == {"title", "description", "estimated_delivery"}


@pytest.mark.parametrize("path", ["pledges/pledge", "pledges/charge", "pledges/webhookevent", "reports/exportjob"])
def test_rows_only_services_write_cannot_be_edited_added_or_deleted(books, admin_client, path):
    obj = MODELS[path].objects.order_by("pk").first()

    page = admin_client.get(f"/admin/{path}/{obj.pk}/change/")
    post = admin_client.post(f"/admin/{path}/{obj.pk}/change/", {})

    assert page.status_code == 200
    assert "adminform" in page.context and not page.context["has_change_permission"]
    assert post.status_code == 403
    assert admin_client.get(f"/admin/{path}/add/").status_code == 403
    if path != "reports/exportjob":
        assert admin_client.post(f"/admin/{path}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403


def test_cancel_action_asks_first_then_cancels_through_the_service(books, admin_client):
    live, successful = books.by_state["live"], books.by_state["successful"]
    url = "/admin/campaigns/campaign/"

    asked = _action(admin_client, url, "cancel_campaigns", [live, successful])
    assert asked.status_code == 200
    assert b"Yes, cancel them" in asked.content
    live.refresh_from_db()
    assert live.state == "live"

    done = _confirm(admin_client, url, "cancel_campaigns", [live, successful])

    assert done.status_code == 302
    live.refresh_from_db()
    successful.refresh_from_db()
    assert (live.state, successful.state) == ("canceled", "successful")
    assert live.canceled_at is not None
    assert set(live.pledges.values_list("state", flat=True)) == {"released"}
    messages = _messages(admin_client.get(url))
    assert "1 campaign canceled." in messages
    assert any("cannot be canceled" in m for m in messages)


def test_refund_action_refunds_through_the_service(books, admin_client):
    collected, errored = books.pledges["collected"], books.pledges["errored"]
    campaign = books.by_state["successful"]
    url = "/admin/pledges/pledge/"

    asked = _action(admin_client, url, "refund_pledges", [collected, errored])
    assert b"Yes, refund them" in asked.content
    done = _confirm(admin_client, url, "refund_pledges", [collected, errored])

    assert done.status_code == 302
    collected.refresh_from_db()
    errored.refresh_from_db()
    campaign.refresh_from_db()
    assert (collected.state, errored.state) == ("refunded", "errored")
    assert collected.charges.get(state="succeeded").refund_id
    assert campaign.refunded == Decimal("77.55")  # 37.55 refunded before, 40.00 now
    assert "1 pledge refunded." in _messages(admin_client.get(url))


def test_retry_action_queues_collection_of_errored_pledges(books, admin_client, django_capture_on_commit_callbacks):
    errored, collected = books.pledges["errored"], books.pledges["collected"]
    attempts = errored.charges.count()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _action(admin_client, "/admin/pledges/pledge/", "retry_errored_pledges", [errored, collected])

    assert response.status_code == 302
    assert queued(callbacks) == [("closing.tasks.collect_pledge", (errored.pk,))]
    collect_pledge(errored.pk)  # what the worker runs: one more attempt at the provider
    assert errored.charges.count() == attempts + 1
    assert errored.charges.order_by("-attempt").first().state == "failed"


def test_export_actions_give_the_selection_as_csv_and_xlsx(books, admin_client):
    chosen = [books.by_state["successful"], books.by_state["failed"]]

    csv_response = _action(admin_client, "/admin/campaigns/campaign/", "export_csv", chosen)
    xlsx_response = _action(admin_client, "/admin/campaigns/campaign/", "export_xlsx", chosen)
    pledges = _action(admin_client, "/admin/pledges/pledge/", "export_csv", list(chosen[0].pledges.all()))

    rows = split_sections(parse_csv(b"".join(csv_response.streaming_content)))[0]
    assert rows[0] == CAMPAIGN_HEADER
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(c.pk for c in chosen)
    workbook = load_workbook(BytesIO(b"".join(xlsx_response.streaming_content)))
    assert sorted(r[0] for r in workbook["Campaigns"].iter_rows(min_row=2, values_only=True)) == sorted(
        c.pk for c in chosen
    )
    pledge_rows = parse_csv(b"".join(pledges.streaming_content))
    assert pledge_rows[0] == PLEDGE_HEADER
    assert sorted(int(r[0]) for r in pledge_rows[1:]) == sorted(chosen[0].pledges.values_list("pk", flat=True))


def test_staff_without_permissions_see_nothing_and_viewers_cannot_move_money(books):
    viewer = factories.UserFactory(is_staff=True)
    client = Client()
    client.force_login(viewer)
    assert client.get("/admin/pledges/pledge/").status_code == 403

    viewer.user_permissions.add(Permission.objects.get(codename="view_pledge"))
    page = client.get("/admin/pledges/pledge/")
    collected = books.pledges["collected"]
    _confirm(client, "/admin/pledges/pledge/", "refund_pledges", [collected])

    assert page.status_code == 200
    assert page.context["action_form"] is None  # no refund, no retry, no export of e-mail addresses
    collected.refresh_from_db()
    assert collected.state == "collected"


def test_money_in_the_admin_follows_the_currency_and_the_staff_member_s_language(admin_client, settings):
    settings.LANGUAGES = [("en", "English"), ("de", "Deutsch")]  # offered once its catalogue ships (issue 12)
    factories.LiveCampaignFactory(title="Yen campaign", goal=Decimal("100000"), currency="JPY")

    english = admin_client.get("/admin/campaigns/campaign/", {"q": "Yen campaign"}).text
    german = admin_client.get("/admin/campaigns/campaign/", {"q": "Yen campaign"}, headers={"accept-language": "de"})

    assert "¥100,000" in english
    assert "100000.000" not in english and "100000 JPY" not in english
    assert "100.000\xa0¥" in german.text
