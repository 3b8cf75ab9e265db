"""The admin's dashboard: platform totals, money per currency and never summed across currencies."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from pledges.models import Pledge
from reports.selectors import CurrencyTotals, platform_totals
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: tests/admin/conftest.py


def _age_one_pledge(books) -> None:
    """The released pledge of the failed campaign was made two days ago: outside the last 24 hours."""
    Pledge.objects.filter(pk=books.pledges["released"].pk).update(created_at=timezone.now() - timedelta(days=2))


def test_platform_totals_count_campaigns_money_backers_and_failed_charges(books):
    _age_one_pledge(books)

    totals = platform_totals()

    # build_books: a draft, a live one, "Funded one" and the flexible yen one successful, a failed, a canceled.
    assert totals.campaigns_by_state == {"draft": 1, "live": 1, "successful": 2, "failed": 1, "canceled": 1}
    # USD, launched campaigns' running totals (frozen at close, cancel and refund leave them):
    # live 25.00 (the pending 15.00 does not count); funded 40.00 + 37.55 + 12.00 (the canceled 99.00 left it);
    # failed 20.00; canceled 50.00. Collected: 40.00 + 37.55, of which 37.55 refunded. The draft has no money.
    assert totals.money == [
        CurrencyTotals(
            currency="JPY",
            campaigns=1,
            pledged=Decimal("3000"),
            pledged_live=Decimal("0"),
            collected=Decimal("3000"),
            refunded=Decimal("0"),
        ),
        CurrencyTotals(
            currency="USD",
            campaigns=4,
            pledged=Decimal("184.55"),
            pledged_live=Decimal("25.00"),
            collected=Decimal("77.55"),
            refunded=Decimal("37.55"),
        ),
    ]
    assert totals.money[1].net_collected == Decimal("40.00")
    # Backers whose pledge stands: the live active one, the collected one, the errored one, the yen one.
    assert totals.backers == 4
    # Pledges made: live 2, funded 4, failed 1 (two days old), canceled 1, flexible 1.
    assert totals.pledges_last_24h == 8
    # The errored pledge's card was declined at collection: one failed charge, one errored pledge.
    assert (totals.charges_failed, totals.charges_requiring_action, totals.pledges_errored) == (1, 0, 1)


def test_the_dashboard_shows_the_totals_per_currency_and_is_linked_from_the_index(books, admin_client):
    _age_one_pledge(books)

    index = admin_client.get("/admin/")
    page = admin_client.get("/admin/dashboard/")

    assert 'href="/admin/dashboard/"' in index.text
    assert page.status_code == 200
    usd = page.text.split('data-currency="USD"')[1].split("</tr>")[0]
    jpy = page.text.split('data-currency="JPY"')[1].split("</tr>")[0]
    assert ["$184.55", "$25.00", "$77.55", "$37.55", "$40.00"] == [
        cell.split("</td>")[0] for cell in usd.split("<td>")[2:]
    ]
    assert ["¥3,000", "¥0", "¥3,000", "¥0", "¥3,000"] == [cell.split("</td>")[0] for cell in jpy.split("<td>")[2:]]
    assert "3,184.55" not in page.text and "3184.55" not in page.text  # never yen and dollars added up
    assert '<td id="backers">4</td>' in page.text
    assert '<td id="pledges-last-24h">8</td>' in page.text
    assert '<td id="charges-failed">1</td>' in page.text
    assert "6 campaigns" in page.text


def test_the_dashboard_is_for_staff_who_may_view_campaigns(books):
    viewer, bare = Client(), Client()
    viewer.force_login(factories.StaffFactory(permissions=("campaigns.view_campaign",)))
    bare.force_login(factories.StaffFactory(permissions=("pledges.view_pledge",)))

    assert viewer.get("/admin/dashboard/").status_code == 200
    assert 'href="/admin/dashboard/"' in viewer.get("/admin/").text
    assert bare.get("/admin/dashboard/").status_code == 403
    assert 'href="/admin/dashboard/"' not in bare.get("/admin/").text
    anonymous = Client().get("/admin/dashboard/")
    assert (anonymous.status_code, anonymous["Location"]) == (302, "/admin/login/?next=/admin/dashboard/")
