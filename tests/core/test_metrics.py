"""GET /metrics: only for the holder of METRICS_TOKEN; request latency by route name, the Celery
queues' depth from the real broker, collection progress from the database, and every provider
call counted by operation and outcome (a 429 as rate_limited) through the real SDK."""

import json
import re
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from closing.services import campaign_close_now
from config.celery_app import app
from core import metrics
from pledges.payments import RateLimited, get_gateway
from pledges.payments.stripe_gateway import StripeGateway, provider_operation
from tests import factories
from tests.conftest import purge_queues
from tests.pledges.test_gateway import http_server

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-" + "x" * 20


@pytest.fixture
def scraper(settings) -> Client:
    settings.METRICS_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def scrape(client: Client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_no_token_configured_is_no_page_and_a_wrong_token_is_refused(settings):
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client(HTTP_AUTHORIZATION="Bearer anything").get("/metrics").status_code == 404

    settings.METRICS_TOKEN = TOKEN
    for header in ("", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN):
        response = Client(HTTP_AUTHORIZATION=header).get("/metrics")
        assert response.status_code == 403, header
        assert b"pledgeboard" not in response.content


def test_request_latency_is_counted_by_route_name_not_by_path(scraper):
    first, second = factories.LiveCampaignFactory(), factories.LiveCampaignFactory()
    before = scrape(scraper)
    for campaign in (first, second, first):
        assert Client().get(f"/api/campaigns/{campaign.pk}/").status_code == 200
    Client().get("/no/such/page/")

    after = scrape(scraper)

    count = "pledgeboard_http_request_duration_seconds_count"
    detail = {"route": "campaign-detail", "method": "GET", "status": "200"}
    assert value(after, count, **detail) - value(before, count, **detail) == 3
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, count, **unmatched) - value(before, count, **unmatched) == 1
    # No label holds the path or the campaign's id. (Compared label by label: the buckets' bounds,
    # le="0.005" and the like, contain a small id as text, and a fresh database's ids are small.)
    path_labels = [key for key in after for _, label in key[1] if "/api/" in label or label == str(first.pk)]
    assert path_labels == []


def test_queue_depth_is_what_waits_in_each_broker_queue(scraper):
    purge_queues()
    try:
        for _ in range(3):
            app.send_task("reports.tasks.build_export", args=[0])  # routed to "exports"; no worker here
        app.send_task("closing.tasks.close_due_campaigns")

        samples = scrape(scraper)
    finally:
        purge_queues()

    depth = {queue: value(samples, "pledgeboard_celery_queue_depth", queue=queue) for queue in metrics.queue_names()}
    assert depth == {"default": 1, "collection": 0, "fees": 0, "mail": 0, "exports": 3}


def test_collection_progress_of_a_campaign_being_collected(scraper, django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledges = [factories.PledgeFactory(campaign=campaign, amount="20.00") for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=False):  # no collection message goes out
        campaign_close_now(campaign_id=campaign.pk)
    from closing.services.collection import pledge_collect

    pledge_collect(pledge_id=pledges[0].pk)

    samples = scrape(scraper)

    progress = {
        state: value(samples, "pledgeboard_collection_pledges", campaign=str(campaign.pk), state=state)
        for state in ("active", "errored", "collected")
    }
    assert progress == {"active": 2, "errored": 0, "collected": 1}


def test_a_payout_gauge_registered_by_an_app_is_scraped(scraper):
    metrics.register_gauge("pledgeboard_test_gauge", "A hook's gauge.", ("currency",), lambda: [(("eur",), 4)])
    try:
        assert value(scrape(scraper), "pledgeboard_test_gauge", currency="eur") == 4
    finally:
        metrics._gauge_hooks.pop("pledgeboard_test_gauge")


@pytest.mark.parametrize(
    ("method", "url", "operation"),
    [
        ("post", "http://x/v1/payment_intents", "POST /v1/payment_intents"),
        ("post", "http://x/v1/setup_intents/seti_1QabC/confirm", "POST /v1/setup_intents/{id}/confirm"),
        ("get", "http://x/v1/payment_intents?limit=100&starting_after=pi_9", "GET /v1/payment_intents"),
        ("get", "http://x/v1/charges/ch_3Xy", "GET /v1/charges/{id}"),
    ],
)
def test_a_provider_call_is_named_by_its_operation(method, url, operation):
    assert provider_operation(method, url) == operation


def _calls(samples) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["operation"], dict(labels)["outcome"]): count
        for (name, labels), count in samples.items()
        if name == "pledgeboard_provider_calls_total"
    }


def test_provider_calls_are_counted_by_operation_and_outcome(scraper):
    redis.Redis.from_url(settings.REDIS_URL).delete(metrics.PROVIDER_CALLS_KEY)
    gateway = get_gateway()

    customer = gateway.create_customer(email="ann@example.com", name="Ann", metadata={})
    gateway.create_setup_intent(
        customer_id=customer, payment_method_id=factories.payment_method(factories.CARD_SUCCEEDS), metadata={}
    )
    with pytest.raises(Exception):  # noqa: B017 - declined at setup: a 402, the intent already cancelled
        gateway.create_setup_intent(
            customer_id=customer,
            payment_method_id=factories.payment_method(factories.CARD_DECLINES_AT_SETUP),
            metadata={},
        )

    calls = _calls(scrape(scraper))
    assert calls[("POST /v1/customers", "ok")] == 1
    # Each SetupIntent is created and confirmed in one call.
    assert calls[("POST /v1/setup_intents", "ok")] == 1
    assert calls[("POST /v1/setup_intents", "declined")] == 1
    assert ("POST /v1/setup_intents/{id}/confirm", "ok") not in calls


def _rate_limited_handler():
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            body = json.dumps(
                {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}}
            ).encode()
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    return Handler


def test_a_429_is_counted_as_rate_limited_by_operation(scraper):
    redis.Redis.from_url(settings.REDIS_URL).delete(metrics.PROVIDER_CALLS_KEY)
    with http_server(_rate_limited_handler()) as url:
        gateway = StripeGateway(secret_key="sk_test_busy", webhook_secret="whsec_x", api_base=url)
        for _ in range(2):
            with pytest.raises(RateLimited):
                gateway.charge_off_session(
                    customer_id="cus_x",
                    payment_method_id="pm_x",
                    amount_minor=2500,
                    currency="usd",
                    idempotency_key="k-1",
                    metadata={},
                )
        with pytest.raises(RateLimited):
            gateway.retrieve_charge("pi_123")

    # Each call is sent three times: a person's call is retried twice after a 429 (ratelimit.py).
    assert _calls(scrape(scraper)) == {
        ("POST /v1/payment_intents", "rate_limited"): 6,
        ("GET /v1/payment_intents/{id}", "rate_limited"): 3,
    }
    assert re.search(
        r'pledgeboard_provider_calls_total\{operation="POST /v1/payment_intents",outcome="rate_limited"\} 6\.0',
        scraper.get("/metrics").content.decode(),
    )
