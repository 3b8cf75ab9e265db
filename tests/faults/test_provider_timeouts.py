"""The provider takes the money but its answer never arrives (a timeout): the attempt stays in
flight, the retry looks it up by its key and records it, and nothing is charged twice.
A real HTTP proxy in front of localstripe delays the charge's answer past our timeout."""

import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from closing.services import collection
from pledges.models import Charge, Pledge
from pledges.payments import ProviderUnavailable, get_gateway
from reports.reconcile import reconcile
from tests import factories
from tests.support.payments import succeeded_payment_intents


def _slow_charges_proxy(upstream: str, delay: float) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        def _forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = requests.request(self.command, upstream + self.path, data=body, headers=headers, timeout=30)
            if self.command == "POST" and self.path.startswith("/v1/payment_intents"):
                time.sleep(delay)  # the charge happened upstream; its answer comes too late
            try:
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as intended

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, *args):
            pass

    return Proxy


@pytest.mark.django_db
def test_a_charge_whose_answer_times_out_is_found_and_never_repeated(settings):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00")
    factories.closed(campaign)
    localstripe = settings.STRIPE_API_BASE
    server = ThreadingHTTPServer(("127.0.0.1", 0), _slow_charges_proxy(localstripe, delay=3))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
        settings.STRIPE_TIMEOUT = 1.0
        with pytest.raises(ProviderUnavailable):
            collection.pledge_collect(pledge_id=pledge.pk)
    finally:
        server.shutdown()
        server.server_close()
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_TIMEOUT = 20.0

    in_flight = Charge.objects.get(pledge=pledge)
    charged_meanwhile = len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk))
    retried = collection.pledge_collect(pledge_id=pledge.pk)

    assert (in_flight.state, in_flight.submitted_at is not None) == (Charge.State.PROCESSING, True)
    assert charged_meanwhile == 1  # the provider did take the money
    assert (retried.pk, retried.state) == (in_flight.pk, Charge.State.SUCCEEDED)
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.COLLECTED
    assert Charge.objects.filter(pledge=pledge).count() == 1
    assert reconcile(campaign_ids=[campaign.pk]) == []
