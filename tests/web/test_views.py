"""The backer's pages through Django's test client: who may see and change what, CSRF, the
session login as a browser does it, the login limits, sign-up and e-mail verification, the
checkout's double-submit guard, and the campaign list."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from accounts.models import Unsubscription
from closing.services import campaign_close_now, collection
from notifications.models import Reminder
from notifications.services import notifications_send
from pledges.models import Pledge
from tests import factories

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "correct horse battery staple"
TITLE = "Maya's Field Notebook & Sketchbook"


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(
        title=TITLE,
        goal=Decimal("100.00"),
        rewards=[{"title": "Sketchbook", "minimum": Decimal("25.00"), "shipping": Decimal("5.00"), "limit": 2}],
    )


@pytest.fixture
def backer():
    return factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- who sees what --------------------------------------------------------------------------


PLEDGE_PAGES = [
    ("get", "/me/pledges/{id}/"),
    ("get", "/me/pledges/{id}/card/"),
    ("get", "/me/pledges/{id}/thanks/"),
    ("get", "/me/pledges/{id}/cancel/"),
    ("post", "/me/pledges/{id}/cancel/"),
    ("post", "/me/pledges/{id}/change/"),
    ("post", "/me/pledges/{id}/confirm/"),
    ("get", "/me/pledges/{id}/payment-method/"),
    ("post", "/me/pledges/{id}/payment-method/"),
    ("get", "/me/pledges/{id}/receipt/"),
]


@pytest.mark.parametrize(("method", "path"), PLEDGE_PAGES)
def test_someone_elses_pledge_is_a_404_and_stays_unchanged(campaign, backer, method, path):
    pledge = factories.PledgeFactory(backer=backer, campaign=campaign, amount="40.00")
    other = factories.UserFactory(username="other", is_staff=True)  # staff too: these are one's own pages

    response = getattr(logged_in(other), method)(path.format(id=pledge.pk), {"amount": "99.00", "reward": ""})

    assert response.status_code == 404
    assert "This page does not exist" in response.text
    pledge.refresh_from_db()
    assert (pledge.state, pledge.amount) == (Pledge.State.ACTIVE, Decimal("40.00"))


@pytest.mark.parametrize(("method", "path"), [*PLEDGE_PAGES, ("get", "/me/pledges/"), ("get", "/me/settings/")])
def test_the_backers_pages_ask_to_log_in_and_come_back(campaign, backer, method, path):
    pledge = factories.PledgeFactory(backer=backer, campaign=campaign)
    page = path.format(id=pledge.pk)

    response = getattr(Client(), method)(page)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={page}"


def test_my_pledges_lists_only_my_own(campaign, backer):
    mine = factories.PledgeFactory(backer=backer, campaign=campaign, amount="40.00")
    other_campaign = factories.LiveCampaignFactory(title="Pocket Atlas")
    factories.PledgeFactory(backer=factories.UserFactory(username="someone"), campaign=other_campaign, amount="12.00")

    page = logged_in(backer).get("/me/pledges/")

    assert page.status_code == 200
    assert re.findall(r'<article class="card pledge" id="pledge-(\d+)"', page.text) == [str(mine.pk)]
    assert "Pocket Atlas" not in page.text


def test_a_backer_changes_and_cancels_their_pledge(campaign, backer):
    sketchbook = campaign.rewards.get()
    pledge = factories.PledgeFactory(backer=backer, campaign=campaign, amount="40.00")
    client = logged_in(backer)

    changed = client.post(
        f"/me/pledges/{pledge.pk}/change/", {"reward": sketchbook.pk, "amount": "30.00", "shipping_country": "US"}
    )

    assert changed.status_code == 302
    pledge.refresh_from_db()
    sketchbook.refresh_from_db()
    assert (pledge.amount, pledge.reward_id, sketchbook.claimed) == (Decimal("30.00"), sketchbook.pk, 1)

    too_little = client.post(
        f"/me/pledges/{pledge.pk}/change/", {"reward": sketchbook.pk, "amount": "29.99", "shipping_country": "US"}
    )
    assert too_little.status_code == 400
    assert "at least 30.00 USD (25.00 plus 5.00 shipping)" in too_little.text

    canceled = client.post(f"/me/pledges/{pledge.pk}/cancel/")
    assert canceled.status_code == 302
    pledge.refresh_from_db()
    campaign.refresh_from_db()
    sketchbook.refresh_from_db()
    assert (pledge.state, campaign.pledged, campaign.backers_count, sketchbook.claimed) == (
        Pledge.State.CANCELED,
        Decimal("0"),
        0,
        0,
    )


def test_the_receipt_shows_what_was_charged(backer):
    campaign = factories.LiveCampaignFactory(title="Small goal", goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(backer=backer, campaign=campaign, amount="25.00")
    campaign_close_now(campaign_id=campaign.pk)
    collection.pledge_collect(pledge_id=pledge.pk)
    charge = pledge.charges.get()

    receipt = logged_in(backer).get(f"/me/pledges/{pledge.pk}/receipt/")

    assert receipt.status_code == 200
    assert '<td class="amount">$25.00</td>' in receipt.text
    assert charge.payment_intent_id in receipt.text


# --- CSRF and the session login --------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused(campaign, backer):
    pledge = factories.PledgeFactory(backer=backer, campaign=campaign, amount="40.00")
    client = Client(enforce_csrf_checks=True)
    client.force_login(backer)

    response = client.post(f"/me/pledges/{pledge.pk}/cancel/")

    assert response.status_code == 403
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ACTIVE


def test_logging_in_with_the_session_and_csrf_token_like_a_browser(backer):
    client = Client(enforce_csrf_checks=True)
    form = client.get("/login/?next=/me/pledges/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)

    refused = client.post("/login/", {"username": "river", "password": PASSWORD})
    assert refused.status_code == 403

    response = client.post(
        "/login/",
        {"username": "river@example.com", "password": PASSWORD, "next": "/me/pledges/", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert response["Location"] == "/me/pledges/"
    assert client.get("/me/pledges/").status_code == 200


def test_a_refused_login_says_how_long_to_wait_and_logs_nobody_in(backer, settings):
    """The limits themselves, on every door, are tests/api/test_login_limits.py's."""
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "3/day"
    client = Client()

    failures = [client.post("/login/", {"username": "river", "password": "wrong"}).status_code for _ in range(3)]
    blocked = client.post("/login/", {"username": "river", "password": PASSWORD})

    assert failures == [400, 400, 400]
    assert blocked.status_code == 429
    assert "Too many failed attempts. Wait" in blocked.text
    assert 0 < int(blocked["Retry-After"]) <= 86400
    assert "_auth_user_id" not in client.session
    # Another client is not held up by this one's failures.
    assert (
        Client(REMOTE_ADDR="198.51.100.7").post("/login/", {"username": "river", "password": PASSWORD}).status_code
        == 302
    )


def test_the_api_register_answers_the_same_for_an_address_in_use_and_tells_its_owner(backer):
    body = {"username": "copy", "email": "River@Example.com", "password": PASSWORD}

    response = Client().post("/api/auth/register/", body, content_type="application/json")

    assert response.status_code == 202
    assert set(response.json()) == {"username", "email", "detail"}
    assert not User.objects.filter(username="copy").exists()
    (note,) = mail.outbox
    assert note.to == ["river@example.com"] and "already belongs to your account" in note.body


def test_the_api_token_endpoint_still_works(backer):
    response = Client().post(
        "/api/auth/token/", {"username": "river", "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 200
    assert set(response.json()) == {"token"}


# --- sign up and verification ---------------------------------------------------------------


def test_sign_up_sends_a_verification_link_and_the_account_opens_with_it(settings):
    settings.SITE_URL = "https://pledgeboard.example"
    client = Client()

    response = client.post("/register/", {"username": "maya", "email": "Maya@Example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(username="maya").exists()  # no account until the address is confirmed
    (message,) = mail.outbox
    link = re.search(r"https://pledgeboard\.example(/verify/\S+/)", message.body).group(1)
    assert f'href="https://pledgeboard.example{link}"' in message.alternatives[0][0]

    not_yet = client.post("/login/", {"username": "maya", "password": PASSWORD})
    assert not_yet.status_code == 400
    assert "Confirm your e-mail address first" in not_yet.text

    assert client.get(link).status_code == 302
    user = User.objects.get(username="maya")
    assert user.is_active and user.email == "Maya@Example.com"
    assert client.post("/login/", {"username": "maya", "password": PASSWORD}).status_code == 302


def test_sign_up_with_a_taken_address_looks_like_any_other_and_mails_its_owner(backer):
    response = Client().post("/register/", {"username": "copy", "email": "RIVER@example.com", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/register/done/"
    assert not User.objects.filter(username="copy").exists()
    (note,) = mail.outbox
    assert note.to == ["river@example.com"]  # the account's own address
    assert "river" in note.body and "/verify/" not in note.body
    assert Client().get("/verify/not-a-token/").status_code == 400


def test_password_reset_mails_a_working_link(backer, settings):
    settings.SITE_URL = "https://pledgeboard.example"
    client = Client()

    assert client.post("/password-reset/", {"email": "river@example.com"}).status_code == 302

    (message,) = mail.outbox
    path = re.search(r"https://pledgeboard\.example(/password-reset/\S+/)", message.body).group(1)
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"}
    )
    assert done.status_code == 302
    backer.refresh_from_db()
    assert backer.check_password("a new long passphrase")


# --- checkout ---------------------------------------------------------------------------------


def test_a_double_submitted_checkout_makes_one_pending_pledge(campaign, backer):
    sketchbook = campaign.rewards.get()
    client = logged_in(backer)
    form = client.get(f"/campaigns/{campaign.slug}/pledge/?reward={sketchbook.pk}")
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    assert 'name="amount"' in form.text and 'value="30.00"' not in form.text  # shipping: once a country is chosen

    body = {"reward": sketchbook.pk, "amount": "30.00", "shipping_country": "US", "token": token}
    first = client.post(f"/campaigns/{campaign.slug}/pledge/", body)
    second = client.post(f"/campaigns/{campaign.slug}/pledge/", body)

    pledge = Pledge.objects.get(backer=backer)
    assert pledge.state == Pledge.State.PENDING
    assert first["Location"] == second["Location"] == f"/me/pledges/{pledge.pk}/card/"
    sketchbook.refresh_from_db()
    assert sketchbook.claimed == 1
    card_step = client.get(first["Location"])
    assert pledge.setup_client_secret in card_step.text


def test_checkout_refuses_less_than_the_minimum_with_shipping(campaign, backer):
    sketchbook = campaign.rewards.get()

    response = logged_in(backer).post(
        f"/campaigns/{campaign.slug}/pledge/",
        {"reward": sketchbook.pk, "amount": "29.00", "shipping_country": "US", "token": "t-1"},
    )

    assert response.status_code == 400
    assert "This reward needs a pledge of at least 30.00 USD (25.00 plus 5.00 shipping)." in response.text
    assert not Pledge.objects.filter(backer=backer).exists()


def test_a_failed_card_step_keeps_the_pending_pledge_for_another_card(campaign, backer):
    """As Stripe leaves it: the refused SetupIntent waits for another card (not canceled)."""
    sketchbook = campaign.rewards.get()
    client = logged_in(backer)
    client.post(
        f"/campaigns/{campaign.slug}/pledge/",
        {"reward": sketchbook.pk, "amount": "30.00", "shipping_country": "US", "token": "t-2"},
    )
    pledge = Pledge.objects.get(backer=backer)

    response = client.post(
        f"/me/pledges/{pledge.pk}/confirm/", {"error_code": "card_declined", "error_message": "Your card was declined."}
    )

    assert response["Location"] == f"/me/pledges/{pledge.pk}/card/"
    kept = Pledge.objects.get(pk=pledge.pk)
    sketchbook.refresh_from_db()
    assert (kept.state, kept.setup_client_secret, sketchbook.claimed) == (
        Pledge.State.PENDING,
        pledge.setup_client_secret,
        1,
    )
    page = client.get(response["Location"])
    assert (
        "Your card was declined. Nothing was charged; your pledge still waits for a card that works. "
        "Try another card." in page.text
    )


# --- e-mails point at working pages -------------------------------------------------------------


def test_the_payment_failed_email_links_to_the_update_payment_page_unescaped(backer, settings):
    settings.SITE_URL = "https://pledgeboard.example"
    campaign = factories.LiveCampaignFactory(title=TITLE, goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(
        backer=backer, campaign=campaign, amount="20.00", card=factories.CARD_DECLINES_ON_CHARGE
    )
    campaign_close_now(campaign_id=campaign.pk)
    collection.pledge_collect(pledge_id=pledge.pk)
    mail.outbox.clear()

    notifications_send()

    (message,) = [m for m in mail.outbox if "didn't go through" in m.subject]
    assert message.subject == f"Your payment for {TITLE} didn't go through"
    assert f"{TITLE} was funded" in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body
    url = f"https://pledgeboard.example/me/pledges/{pledge.pk}/payment-method/"
    assert url in message.body
    assert f'<a href="{url}"' in message.alternatives[0][0]
    page = logged_in(backer).get(f"/me/pledges/{pledge.pk}/payment-method/")
    assert page.status_code == 200
    assert "Update your payment" in page.text


# --- campaign pages -------------------------------------------------------------------------------


def test_the_list_puts_live_campaigns_first_searches_filters_and_pluralises(backer):
    ended = factories.LiveCampaignFactory(title="Finished film", goal=Decimal("10.00"))
    factories.PledgeFactory(campaign=ended, amount="20.00")
    campaign_close_now(campaign_id=ended.pk)
    one = factories.LiveCampaignFactory(title="Solo record", description="A vinyl record")
    factories.PledgeFactory(campaign=one, amount="10.00")
    two = factories.LiveCampaignFactory(title="Band tour", days=10)
    factories.PledgeFactory(campaign=two, amount="10.00")
    factories.PledgeFactory(campaign=two, amount="15.00")
    client = Client()

    # Below the home page's sections (staff picks, ending soon, new): every listed campaign.
    home = client.get("/").text.split("<h2>All campaigns</h2>")[1]
    titles = re.findall(r'<h3 class="card-title">([^<]+)</h3>', home)
    assert titles == ["Band tour", "Solo record", "Finished film"]  # live ones ending soonest first
    assert re.search(r"1 backer\s*·\s*\d+ days left", home) and re.search(r"2 backers\s*·\s*10 days left", home)

    search = client.get("/?q=vinyl").text
    assert re.findall(r'<h2 class="card-title">([^<]+)</h2>', search) == ["Solo record"]
    successful = client.get("/?state=successful").text
    assert re.findall(r'<h2 class="card-title">([^<]+)</h2>', successful) == ["Finished film"]


def test_the_list_is_paginated_and_keeps_the_search(backer):
    for number in range(14):
        factories.LiveCampaignFactory(title=f"Zine number {number}")
    client = Client()

    first = client.get("/?q=zine").text
    second = client.get("/?q=zine&page=2").text

    assert len(re.findall(r'class="card" href="/campaigns/', first)) == 12
    assert len(re.findall(r'class="card" href="/campaigns/', second)) == 2
    assert 'href="?q=zine&amp;page=2"' in first
    assert "Page 2 of 2" in second


def test_the_campaign_page_shows_more_than_100_percent_and_the_remind_button_works(backer):
    campaign = factories.LiveCampaignFactory(title="Palmer", goal=Decimal("100.00"))
    factories.PledgeFactory(campaign=campaign, amount="1192.00")
    client = logged_in(backer)

    page = client.get(f"/campaigns/{campaign.slug}/").text
    assert '<span class="big" id="percent">1,192%</span>' in page
    assert '<span class="big" id="pledged">$1,192.00</span>' in page
    assert "pledged of $100.00 goal" in page
    assert 'id="funding-data"' in page

    client.post(f"/campaigns/{campaign.slug}/remind/")
    assert Reminder.objects.filter(user=backer, campaign=campaign).count() == 1
    client.post(f"/campaigns/{campaign.slug}/remind/", {"remind": "off"})
    assert Reminder.objects.filter(user=backer, campaign=campaign).count() == 0


def test_backers_only_updates_show_to_backers_and_the_creator_only(campaign, backer):
    from updates.services import update_publish

    factories.PledgeFactory(backer=backer, campaign=campaign)
    update_publish(campaign=campaign, author=campaign.creator, title="Open news", body="For all")
    update_publish(campaign=campaign, author=campaign.creator, title="Backer secret", body="Hush", audience="backers")
    path = f"/campaigns/{campaign.slug}/"

    assert "Backer secret" in logged_in(backer).get(path).text
    assert "Backer secret" in logged_in(campaign.creator).get(path).text
    stranger = logged_in(factories.UserFactory(username="stranger")).get(path).text
    assert "Open news" in stranger and "Backer secret" not in stranger
    assert "Backer secret" not in Client().get(path).text


def test_email_settings_unsubscribe_and_subscribe_again(campaign, backer):
    factories.PledgeFactory(backer=backer, campaign=campaign)
    client = logged_in(backer)

    client.post("/me/settings/", {"action": "notifications-off"})
    client.post("/me/settings/", {"action": "updates-off", "campaign": campaign.pk})
    assert set(Unsubscription.objects.filter(user=backer).values_list("campaign_id", flat=True)) == {None, campaign.pk}

    client.post("/me/settings/", {"action": "notifications-on"})
    assert set(Unsubscription.objects.filter(user=backer).values_list("campaign_id", flat=True)) == {campaign.pk}
    other = factories.LiveCampaignFactory(title="Not backed")
    assert client.post("/me/settings/", {"action": "updates-off", "campaign": other.pk}).status_code == 404


def test_static_files_are_served_by_whitenoise_without_debug(settings):
    assert settings.DEBUG is False

    response = Client().get("/static/web/site.css")

    assert response.status_code == 200
    assert b"--brand" in b"".join(response.streaming_content)


def test_the_500_page_is_the_sites_own():
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_pages_are_in_the_language_the_browser_asks_for_among_those_offered(campaign):
    german = Client().get("/", HTTP_ACCEPT_LANGUAGE="de")
    french = Client().get("/", HTTP_ACCEPT_LANGUAGE="fr")  # not offered: the site's own language

    assert '<html lang="de">' in german.text
    assert '<html lang="en">' in french.text
    page = french
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text
