"""Anonymous cached reads of the campaign list and detail are answered before DRF, with one round
trip to Redis (the throttle's count and the cache read together), and the same answer: status,
headers and body as DRF gives; the throttle counts each request once and refuses as before."""

import re
from decimal import Decimal

import pytest
import redis.connection
from rest_framework.test import APIClient

from campaigns.api import CampaignDetailApi, CampaignListApi
from tests import factories
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.throttling]

VOLATILE = {"Date", "X-Request-ID"}


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(goal=Decimal("100.00"), rewards=[{"title": "Vinyl", "minimum": Decimal("10")}])


@pytest.fixture
def anon_limit(settings):
    def set_to(rate: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": rate},
        }

    set_to("1000/minute")
    return set_to


class RoundTrips:
    """Requests sent to Redis by this process (a pipeline is one)."""

    def __init__(self, monkeypatch):
        self.count = 0
        send = redis.connection.AbstractConnection.send_packed_command

        def counting(connection, command, check_health=True):
            self.count += 1
            return send(connection, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)


def answer(response) -> tuple[int, dict, bytes]:
    headers = {name: value for name, value in response.headers.items() if name not in VOLATILE}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("path", ["/api/campaigns/{id}/", "/api/campaigns/", "/api/campaigns/?state=live&page=1"])
def test_a_cached_read_answers_what_drf_answered_with_one_round_trip(path, campaign, anon_limit, monkeypatch):
    url = path.format(id=campaign.pk)
    built = APIClient().get(url)  # DRF serves the first read and stores it
    assert built.status_code == 200
    for view in (CampaignDetailApi, CampaignListApi):
        monkeypatch.setattr(view, "initial", _refusing())
    APIClient().get(url)  # the hot path's connection opened
    trips = RoundTrips(monkeypatch)

    hit = APIClient().get(url)

    assert answer(hit)[0] == answer(built)[0]
    assert answer(hit)[1] == answer(built)[1]
    assert answer(hit)[2] == answer(built)[2]
    assert trips.count == 1


def _refusing():
    def refuse(self, request, *args, **kwargs):
        raise AssertionError("DRF served a read the hot path should have")

    return refuse


def test_drf_s_path_made_two_round_trips_for_the_same_read(campaign, anon_limit, monkeypatch):
    """The figure the hot path improves on: a signed-out read DRF serves from the cache."""
    drf_way = {"HTTP_ACCEPT": "application/json; q=0.9"}  # a JSON read the hot path leaves to DRF
    for _ in range(2):  # cached, and every connection open
        APIClient().get(f"/api/campaigns/{campaign.pk}/", **drf_way)
    trips = RoundTrips(monkeypatch)

    APIClient().get(f"/api/campaigns/{campaign.pk}/", **drf_way)

    assert trips.count == 2


def test_the_throttle_counts_each_read_once_and_refuses_as_drf_does(campaign, anon_limit, settings):
    anon_limit("3/minute")
    client = APIClient(REMOTE_ADDR="203.0.113.40")
    url = f"/api/campaigns/{campaign.pk}/"

    statuses = [client.get(url).status_code for _ in range(3)]  # a miss (DRF), then hits (hot path)
    refused = client.get(url)
    refused_list = client.get("/api/campaigns/")

    assert statuses == [200, 200, 200]
    assert refused.status_code == refused_list.status_code == 429
    assert refused.json()["code"] == "throttled" and "Retry-After" in refused.headers
    counters = redis.Redis.from_url(settings.REDIS_URL).keys("throttle:throttle_anon_203.0.113.40:*")
    [counter] = counters
    assert int(redis.Redis.from_url(settings.REDIS_URL).get(counter)) == 5  # five requests, five counts
    # Another address has its own budget, served from the cache.
    assert APIClient(REMOTE_ADDR="203.0.113.41").get(url).status_code == 200


def test_a_refusal_answers_what_drf_answered(campaign, anon_limit):
    anon_limit("1/minute")
    url = f"/api/campaigns/{campaign.pk}/"
    APIClient(REMOTE_ADDR="203.0.113.50").get(url)  # cached now
    APIClient(REMOTE_ADDR="203.0.113.51").get(url)  # the other client's one read

    hot = APIClient(REMOTE_ADDR="203.0.113.50").get(url)  # counted ahead of DRF, refused by DRF
    drf = APIClient(REMOTE_ADDR="203.0.113.51").get(url, HTTP_ACCEPT="application/json; q=0.9")  # DRF alone

    status, headers, body = answer(hot)
    drf_status, _, drf_body = answer(drf)
    # The two refusals come a few milliseconds apart: a second boundary between them makes the
    # wait they name differ by one. Everything else in the body is the same.
    waits = [int(re.search(rb"available in (\d+) second", b).group(1)) for b in (body, drf_body)]
    assert abs(waits[0] - waits[1]) <= 1
    assert (status, re.sub(rb"\d+ second", b"N second", body)) == (
        drf_status,
        re.sub(rb"\d+ second", b"N second", drf_body),
    )
    assert {k: v for k, v in headers.items() if k != "Retry-After"} == {
        k: v for k, v in answer(drf)[1].items() if k != "Retry-After"
    }
    assert 0 < int(headers["Retry-After"]) <= 60


@pytest.mark.parametrize(
    "how",
    [
        {"HTTP_ACCEPT": "text/html"},  # the browsable API
        {"format": "api"},
        {"HTTP_COOKIE": "sessionid=whatever"},
        {"HTTP_AUTHORIZATION": "Token nonsense"},
    ],
    ids=["html", "format", "session-cookie", "token"],
)
def test_anything_but_an_anonymous_json_read_goes_to_drf(how, campaign, anon_limit, monkeypatch):
    url = f"/api/campaigns/{campaign.pk}/"
    APIClient().get(url)  # cached
    monkeypatch.setattr(CampaignDetailApi, "initial", _refusing())
    query = {"format": how["format"]} if "format" in how else {}
    headers = {key: value for key, value in how.items() if key != "format"}

    with pytest.raises(AssertionError, match="DRF served"):
        APIClient().get(url, query, **headers)


def test_a_signed_in_creator_still_reads_their_draft(anon_limit):
    draft = factories.DraftCampaignFactory()
    assert APIClient().get(f"/api/campaigns/{draft.pk}/").status_code == 404
    assert client_for(draft.creator).get(f"/api/campaigns/{draft.pk}/").json()["state"] == "draft"
    assert APIClient().get(f"/api/campaigns/{draft.pk}/").status_code == 404
