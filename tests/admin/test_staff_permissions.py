"""Staff act in the admin by their model permissions: a view-only support person lists and reads,
and cannot refund, cancel, retry or take backers' e-mail addresses away in a file, not even by
posting an action the page does not offer."""

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client

from campaigns.models import Campaign
from core.queue import queued
from pledges.models import Charge, Pledge
from reports.models import ExportJob
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: tests/admin/conftest.py

PASSWORD = "view only, hands off"
VIEW_ONLY = (
    "campaigns.view_campaign",
    "rewards.view_rewardtier",
    "pledges.view_pledge",
    "pledges.view_charge",
    "reports.view_exportjob",
)


def _login(username: str) -> Client:
    """Through the login form, as a browser does (the admin's login page leads to the site's): the
    session cookie and the CSRF token."""
    client = Client(enforce_csrf_checks=True)
    form = client.get("/admin/login/?next=/admin/", follow=True)
    assert (form.status_code, form.redirect_chain[-1][0]) == (200, "/login/?next=%2Fadmin%2F")
    data = {"username": username, "password": PASSWORD, "next": "/admin/"}
    assert client.post("/login/?next=/admin/", data).status_code == 403  # no CSRF token, no login
    data["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    response = client.post("/login/?next=/admin/", data)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    return client


def _post_action(client: Client, url: str, action: str, objects, **extra):
    data = {
        "action": action,
        ACTION_CHECKBOX_NAME: [o.pk for o in objects],
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,  # rotated at login
        **extra,
    }
    return client.post(url, data)


def _refunds_at_stripe(gateway, charge: Charge) -> list[dict]:
    page = gateway.client.v1.refunds.list(params={"payment_intent": charge.payment_intent_id, "limit": 100})
    return [refund.to_dict() for refund in page.auto_paging_iter()]


def test_a_view_only_staff_member_lists_and_reads_but_moves_no_money(
    books, gateway, django_capture_on_commit_callbacks
):
    factories.StaffFactory(username="viewer", password=PASSWORD, permissions=VIEW_ONLY)
    client = _login("viewer")
    collected, errored = books.pledges["collected"], books.pledges["errored"]
    charge = collected.charges.get(state=Charge.State.SUCCEEDED)
    live = books.by_state["live"]

    pages = [
        client.get("/admin/pledges/pledge/"),
        client.get(f"/admin/pledges/pledge/{collected.pk}/change/"),
        client.get("/admin/pledges/charge/"),
        client.get(f"/admin/pledges/charge/{charge.pk}/change/"),
        client.get("/admin/campaigns/campaign/"),
        client.get(f"/admin/campaigns/campaign/{live.pk}/change/"),
        client.get("/admin/reports/exportjob/"),
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refund = _post_action(client, "/admin/pledges/pledge/", "refund_pledges", [collected], post="yes")
        retry = _post_action(client, "/admin/pledges/pledge/", "retry_errored_pledges", [errored], index=0)
        export = _post_action(client, "/admin/pledges/pledge/", "export_csv", [collected], index=0)
        cancel = _post_action(client, "/admin/campaigns/campaign/", "cancel_campaigns", [live], post="yes")
        report = _post_action(client, "/admin/campaigns/campaign/", "export_csv", [live], index=0)

    assert [page.status_code for page in pages] == [200] * 7
    assert [page.context["action_form"] for page in pages if "cl" in page.context] == [None, None, None, None]
    assert b"refund_pledges" not in pages[0].content and b"cancel_campaigns" not in pages[4].content
    # Posted all the same: the pages come back, nothing was done, nothing was sent.
    for response in (refund, retry, export, cancel, report):
        assert response.status_code == 200
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert "Content-Disposition" not in response  # the changelist again, no file
    assert queued(callbacks) == []
    collected.refresh_from_db()
    charge.refresh_from_db()
    assert (collected.state, collected.refunded_at) == (Pledge.State.COLLECTED, None)
    assert (charge.refunded_amount, charge.refund_id) == (0, "")
    assert _refunds_at_stripe(gateway, charge) == []
    assert Campaign.objects.get(pk=live.pk).state == Campaign.State.LIVE
    assert errored.charges.count() == 1


def test_an_allowed_refund_reaches_stripe_through_the_same_form(books, gateway):
    factories.StaffFactory(
        username="refunder", password=PASSWORD, permissions=("pledges.view_pledge", "pledges.refund_pledge")
    )
    client = _login("refunder")
    collected = books.pledges["collected"]
    charge = collected.charges.get(state=Charge.State.SUCCEEDED)

    response = _post_action(client, "/admin/pledges/pledge/", "refund_pledges", [collected], post="yes")

    assert response.status_code == 302
    assert Pledge.objects.get(pk=collected.pk).state == Pledge.State.REFUNDED
    assert [(r["amount"], r["status"]) for r in _refunds_at_stripe(gateway, charge)] == [(4000, "succeeded")]


@pytest.mark.parametrize(
    ("permissions", "path", "actions"),
    [
        (("pledges.view_pledge",), "pledges/pledge", []),
        (("pledges.view_pledge", "pledges.refund_pledge"), "pledges/pledge", ["refund_pledges"]),
        (("pledges.view_pledge", "pledges.change_pledge"), "pledges/pledge", ["retry_errored_pledges"]),
        (("pledges.view_pledge", "reports.export_backer_emails"), "pledges/pledge", ["export_csv"]),
        (("campaigns.view_campaign",), "campaigns/campaign", []),
        (("campaigns.view_campaign", "campaigns.change_campaign"), "campaigns/campaign", ["cancel_campaigns"]),
        (
            ("campaigns.view_campaign", "reports.export_platform_report"),
            "campaigns/campaign",
            ["export_csv", "export_xlsx"],
        ),
        (("reports.view_exportjob",), "reports/exportjob", []),
        (("reports.view_exportjob", "reports.delete_exportjob"), "reports/exportjob", ["delete_selected"]),
    ],
)
def test_each_action_is_offered_only_with_its_permission(books, permissions, path, actions):
    client = Client()
    client.force_login(factories.StaffFactory(permissions=permissions))

    form = client.get(f"/admin/{path}/").context["action_form"]

    offered = [] if form is None else [name for name, _ in form.fields["action"].choices if name]
    assert offered == actions


def test_a_viewer_posting_an_action_beside_the_one_allowed_changes_nothing(books, gateway):
    exporter = Client()
    exporter.force_login(factories.StaffFactory(permissions=("pledges.view_pledge", "reports.export_backer_emails")))
    collected = books.pledges["collected"]
    charge = collected.charges.get(state=Charge.State.SUCCEEDED)

    response = exporter.post(
        "/admin/pledges/pledge/", {"action": "refund_pledges", ACTION_CHECKBOX_NAME: [collected.pk], "post": "yes"}
    )

    assert response.status_code == 302
    assert [str(m) for m in exporter.get("/admin/pledges/pledge/").context["messages"]] == ["No action selected."]
    assert Pledge.objects.get(pk=collected.pk).state == Pledge.State.COLLECTED
    assert _refunds_at_stripe(gateway, charge) == []


def test_the_backer_report_is_linked_only_for_staff_allowed_to_export_it(books):
    readers, exporters = Client(), Client()
    readers.force_login(factories.StaffFactory(permissions=("campaigns.view_campaign",)))
    exporters.force_login(
        factories.StaffFactory(permissions=("campaigns.view_campaign", "reports.export_backer_emails"))
    )
    campaign = books.by_state["successful"]
    url = f"/admin/campaigns/campaign/{campaign.pk}/change/"
    link = f'href="/api/campaigns/{campaign.pk}/backers.csv"'

    assert link not in readers.get(url).text
    assert link in exporters.get(url).text
    assert f'href="/api/campaigns/{campaign.pk}/stats/"' in readers.get(url).text


def test_someone_else_s_backer_export_is_for_staff_allowed_to_export_backer_emails(books):
    job = ExportJob.objects.get(kind=ExportJob.Kind.BACKERS)  # asked for by the creator, still queued
    viewers, exporters = Client(), Client()
    viewers.force_login(factories.StaffFactory(permissions=("reports.view_exportjob",)))
    exporters.force_login(
        factories.StaffFactory(permissions=("reports.view_exportjob", "reports.export_backer_emails"))
    )

    seen = viewers.get(f"/api/exports/{job.pk}/")
    refused = viewers.get(f"/api/exports/{job.pk}/download/")
    found = exporters.get(f"/api/exports/{job.pk}/download/")

    assert seen.status_code == 200  # its state and progress: no e-mail address in them
    assert refused.status_code == 404
    assert (found.status_code, found.json()["code"]) == (409, "export_not_ready")


def test_every_action_of_our_admins_declares_the_permissions_it_needs():
    ours = {"accounts", "campaigns", "rewards", "pledges", "notifications", "updates", "reports"}
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ours
        for func, name, _ in model_admin._get_base_actions()
        if not getattr(func, "allowed_permissions", None)
    ]

    assert undeclared == []
