"""Rows named so staff recognise them, amounts in their currency, one query per list whatever its
length, and every sidebar filter with a title of its own."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.functional import Promise

from accounts.models import ApiToken, PaymentCustomer
from closing.services.collection import pledge_collect
from notifications.models import Notification
from pledges.models import Pledge
from reports.models import ExportJob
from tests import factories
from updates.services import update_publish

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: tests/admin/conftest.py

OUR_APPS = {"accounts", "campaigns", "rewards", "pledges", "notifications", "updates", "reports"}
OUR_ADMINS = sorted(
    (model._meta.label_lower, model_admin)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in OUR_APPS
)


@pytest.fixture
def ann_s_pledge():
    """Ann Lee's $25 pledge to the reference campaign, collected."""
    ann = factories.UserFactory(username="ann", first_name="Ann", last_name="Lee", email="ann@example.com")
    campaign = factories.LiveCampaignFactory(
        title="The new RECORD, ART BOOK, and TOUR",
        goal=Decimal("10.00"),
        rewards=[{"title": "CD", "minimum": Decimal("25.00")}],
    )
    pledge = factories.PledgeFactory(
        campaign=campaign, backer=ann, amount=Decimal("25.00"), reward=campaign.rewards.get()
    )
    factories.closed(campaign)
    pledge_collect(pledge_id=pledge.pk)
    return Pledge.objects.get(pk=pledge.pk)


def test_a_pledge_its_charge_and_its_tier_are_named_by_backer_campaign_and_amount(ann_s_pledge):
    pledge = ann_s_pledge
    campaign = pledge.campaign

    name = "Ann Lee (ann@example.com) → The new RECORD, ART BOOK, and… · $25.00"
    assert str(pledge) == name
    assert str(pledge.charges.get()) == f"{name} · attempt 1"
    assert str(pledge.reward) == "CD · $25.00"
    assert str(campaign) == "The new RECORD, ART BOOK, and TOUR"
    with translation.override("de"):
        assert str(pledge).endswith(" · 25,00\xa0$")


def test_the_other_rows_staff_look_at_are_named_too(ann_s_pledge, admin_user):
    ann, campaign = ann_s_pledge.backer, ann_s_pledge.campaign
    update = update_publish(campaign=campaign, author=campaign.creator, title="Pressing the vinyl", body="Soon.")
    job = ExportJob.objects.create(requested_by=admin_user, kind="backers", campaign=campaign)
    customer = PaymentCustomer.objects.get(user=ann)
    notification = Notification.objects.filter(recipient=ann).first()

    assert str(update) == "The new RECORD, ART BOOK, and… · Update #1: Pressing the vinyl"
    assert str(job) == f"Backers export #{job.pk} · The new RECORD, ART BOOK, and… (Queued)"
    assert str(customer) == f"Ann Lee (ann@example.com) · {customer.stripe_customer_id}"
    assert str(notification) == f"{notification.kind} → Ann Lee (ann@example.com)"
    factories.UserFactory(username="bo", email="")
    assert str(PaymentCustomer(user=factories.UserFactory(username="bo"), stripe_customer_id="cus_x")) == "bo · cus_x"


def test_a_pledge_in_yen_is_named_in_yen():
    campaign = factories.LiveCampaignFactory(title="Yen", goal=Decimal("1000"), currency="JPY")
    backer = factories.UserFactory(username="kei", email="kei@example.com")
    pledge = factories.PledgeFactory(campaign=campaign, backer=backer, amount=Decimal("3000"))

    assert str(pledge) == "kei (kei@example.com) → Yen · ¥3,000"


@pytest.mark.parametrize(("label", "model_admin"), OUR_ADMINS, ids=[label for label, _ in OUR_ADMINS])
def test_a_changelist_costs_the_same_queries_for_one_row_as_for_a_page(books, admin_client, label, model_admin):
    """A name that loads its backer or campaign row by row would cost one more query per row."""
    model = model_admin.model
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert model.objects.count() >= 2, "two rows at least, or a query per row would not show"
    admin_client.get(url)  # warm: content types, session, permissions

    counts = {}
    for per_page in (1, 100):
        model_admin.list_per_page = per_page
        try:
            with CaptureQueriesContext(connection) as queries:
                response = admin_client.get(url)
        finally:
            del model_admin.list_per_page
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == min(per_page, model.objects.count())
        counts[per_page] = len(queries)

    assert counts[1] == counts[100], [q["sql"] for q in queries.captured_queries]


def test_amounts_in_lists_and_detail_pages_carry_their_currency(books, admin_client):
    collected, flexible = books.pledges["collected"], books.by_state["flexible"]
    yen_pledge = flexible.pledges.get()
    charge = collected.charges.get(state="succeeded")

    pledges = admin_client.get("/admin/pledges/pledge/").text
    pledge_page = admin_client.get(f"/admin/pledges/pledge/{collected.pk}/change/").text
    charge_page = admin_client.get(f"/admin/pledges/charge/{charge.pk}/change/").text
    yen_page = admin_client.get(f"/admin/pledges/pledge/{yen_pledge.pk}/change/").text
    tier_page = admin_client.get(f"/admin/rewards/rewardtier/{collected.reward_id}/change/").text

    assert "$40.00" in pledges and "¥3,000" in pledges
    assert "$40.00" in pledge_page and "40.000" not in pledge_page
    assert "$40.00" in charge_page and "40.000" not in charge_page
    assert "¥3,000" in yen_page and "3000.000" not in yen_page
    assert "$30.00" in tier_page and "$7.50" in tier_page


@pytest.mark.parametrize(("label", "model_admin"), OUR_ADMINS, ids=[label for label, _ in OUR_ADMINS])
def test_no_two_filters_of_a_changelist_share_a_title(books, admin_client, label, model_admin):
    model = model_admin.model
    response = admin_client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
    titles = [spec.title for spec in response.context["cl"].filter_specs]

    assert len({str(title).lower() for title in titles}) == len(titles), titles
    assert all(isinstance(title, Promise) for title in titles), titles  # gettext_lazy: translatable


def test_the_pledge_filters_say_whose_state_they_filter(books, admin_client):
    response = admin_client.get("/admin/pledges/pledge/")

    titles = [str(spec.title) for spec in response.context["cl"].filter_specs]

    assert titles == ["pledge state", "why the pledge ended", "campaign state", "funding model", "pledged", "collected"]
    assert "By pledge state" in response.text and "By campaign state" in response.text


def test_big_foreign_keys_are_never_a_select_of_every_row():
    for label, model_admin in OUR_ADMINS:
        model = model_admin.model
        for field in model._meta.get_fields():
            if (
                field.many_to_one
                and field.concrete
                and field.related_model._meta.label_lower
                in (
                    "auth.user",
                    "campaigns.campaign",
                    "pledges.pledge",
                    "rewards.rewardtier",
                )
            ):
                assert field.name in model_admin.raw_id_fields, (label, field.name)


def test_api_tokens_are_named_by_their_first_characters_and_holder(books):
    backer = books.pledges["pending"].backer
    token = ApiToken.objects.get(user=backer)

    assert str(token) == f"{books.tokens[0][:8]}… · {backer.username} ({backer.email})"
