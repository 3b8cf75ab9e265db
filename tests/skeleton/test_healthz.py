import pytest
from django.core.cache import cache

from config.health import PROVIDER_STATUS_KEY
from devstack.process import free_port


@pytest.fixture(autouse=True)
def _fresh_provider_status():
    cache.delete(PROVIDER_STATUS_KEY)
    yield
    cache.delete(PROVIDER_STATUS_KEY)


@pytest.fixture
def provider_down(settings):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_ready_when_database_broker_and_payments_answer(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "payments": "ok"}}


@pytest.mark.django_db
def test_not_ready_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


@pytest.mark.django_db
def test_a_provider_outage_degrades_but_does_not_take_the_instance_out(client, provider_down):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["degraded"]) == ("ok", ["payments"])
    assert body["checks"]["payments"] == "down: ProviderUnavailable"


@pytest.mark.django_db
def test_the_provider_is_asked_at_most_once_per_ttl(client, monkeypatch):
    from pledges.payments import get_gateway

    calls = []
    monkeypatch.setattr(get_gateway(), "ping", lambda: calls.append(1))

    statuses = [client.get("/readyz").json()["checks"]["payments"] for _ in range(5)]
    cache.delete(PROVIDER_STATUS_KEY)  # the TTL ran out
    client.get("/readyz")

    assert statuses == ["ok"] * 5
    assert len(calls) == 2


def test_liveness_asks_no_dependency(client, settings, provider_down):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = client.get("/livez")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})
