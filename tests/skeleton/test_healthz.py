import socket

import pytest


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_is_ok_when_database_broker_and_payments_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "payments": "ok"}}


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


@pytest.mark.django_db
def test_healthz_names_the_payment_provider_when_it_is_down(client, settings):
    from pledges.payments import get_gateway

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{_closed_port()}"
    get_gateway.cache_clear()
    try:
        response = client.get("/healthz")
    finally:
        get_gateway.cache_clear()

    assert response.status_code == 503
    assert response.json()["down"] == ["payments"]
    assert response.json()["checks"]["database"] == "ok"
