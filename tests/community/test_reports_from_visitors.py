"""Anyone reports a campaign, signed in or not; a comment needs an account. A visitor's reports
are limited per client (a digest of the address), so one address flooding the queue neither
silences another address nor any account."""

import pytest
from django.test import Client

from community.models import Report
from community.selectors import reports_open
from tests import factories
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db


def _report_via_api(campaign, *, address: str, user=None, reason: str = "fraud"):
    client = client_as(user)
    return client.post(
        f"/api/campaigns/{campaign.pk}/reports/",
        {"reason": reason, "text": "Photos taken from another shop."},
        format="json",
        REMOTE_ADDR=address,
    )


def test_a_visitor_reports_a_campaign_through_the_api_and_staff_see_it(campaign):
    response = _report_via_api(campaign, address="198.51.100.7")

    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert (report.reporter, report.campaign, report.comment, report.reason) == (None, campaign, None, "fraud")
    assert list(reports_open()) == [report]


def test_a_visitor_reports_a_campaign_on_its_page(campaign):
    visitor = Client()
    page = visitor.get(f"/campaigns/{campaign.slug}/").text
    assert f'href="/campaigns/{campaign.slug}/report/" id="report-campaign"' in page

    form = visitor.get(f"/campaigns/{campaign.slug}/report/")
    sent = visitor.post(f"/campaigns/{campaign.slug}/report/", {"reason": "prohibited", "text": "Sells **pills**."})

    assert form.status_code == 200 and 'id="report-form"' in form.text
    assert sent.status_code == 302 and sent["Location"] == f"/campaigns/{campaign.slug}/"
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.text) == (None, "prohibited", "Sells **pills**.")


def test_a_visitors_bad_report_is_refused_and_nothing_is_written(campaign):
    visitor = Client()

    no_reason = visitor.post(f"/campaigns/{campaign.slug}/report/", {"reason": "", "text": "x"})
    brackets = visitor.post(f"/campaigns/{campaign.slug}/report/", {"reason": "spam", "text": "[" * 10_000})
    huge = client_as(None).post(
        f"/api/campaigns/{campaign.pk}/reports/", {"reason": "spam", "text": "x" * 100_000}, format="json"
    )

    assert no_reason.status_code == 400 and "Choose a reason." in no_reason.text
    assert brackets.status_code == 400
    assert_error(huge, 400, field="text")
    assert not Report.objects.exists()


def test_a_comment_report_still_needs_an_account(campaign, backer):
    comment = client_as(backer).post(f"/api/campaigns/{campaign.pk}/comments/", {"body": "hi"}, format="json").json()

    api = client_as(None).post(f"/api/comments/{comment['id']}/reports/", {"reason": "spam"}, format="json")
    web = Client().get(f"/comments/{comment['id']}/report/")

    assert api.status_code == 401
    assert web.status_code == 302 and web["Location"].startswith("/login/")
    assert not Report.objects.exists()


def test_visitors_are_limited_per_address_and_accounts_are_not_caught_by_it(campaign, settings):
    settings.REPORT_RATE_LIMIT = "3/hour"
    flooding, other = "203.0.113.9", "203.0.113.10"

    answers = [_report_via_api(campaign, address=flooding).status_code for _ in range(5)]
    from_another_address = _report_via_api(campaign, address=other)
    signed_in_on_the_same_address = _report_via_api(campaign, address=flooding, user=factories.UserFactory())

    assert answers == [201, 201, 201, 429, 429]
    assert from_another_address.status_code == 201
    assert signed_in_on_the_same_address.status_code == 201
    assert Report.objects.count() == 5
