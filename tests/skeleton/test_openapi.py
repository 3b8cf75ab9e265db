"""The OpenAPI document at /api/schema/ is valid and tells the truth about the API.

Responses are checked against the documented schemas strictly: every documented
property is present, no undocumented key appears, and the values have the
documented types (OpenAPI 3.0 ``nullable`` is translated to JSON Schema).
"""

import json
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from drf_spectacular.validation import validate_schema
from jsonschema import Draft202012Validator

from tests import factories
from tests.support.api import client_as

SCHEMA_MEDIA_TYPE = "application/vnd.oai.openapi+json"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def world(creator, staff):
    campaign = factories.LiveCampaignFactory(
        creator=creator,
        rewards=[
            {"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 100},
            {"title": "Thank-you", "minimum": Decimal("1.00")},
        ],
    )
    vinyl = campaign.rewards.get(title="Signed vinyl")
    pledge = factories.PledgeFactory(campaign=campaign, amount="30.00", reward=vinyl)
    return {
        "campaign": campaign,
        "reward": vinyl,
        "pledge": pledge,
        "backer": pledge.backer,
        "staff": staff,
        "ids": {"campaign_id": campaign.pk, "reward_id": vinyl.pk, "pledge_id": pledge.pk},
    }


# --- helpers ----------------------------------------------------------------------------


def _strict(node):
    """OpenAPI 3.0 schema -> JSON Schema 2020-12 in which every object lists exactly its properties."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key in ("example", "examples", "enum", "required"):
            out[key] = value
        else:
            out[key] = _strict(value)
    nullable = out.pop("nullable", False)
    if "properties" in out:
        out["additionalProperties"] = False
        out["required"] = sorted(out["properties"])
    if nullable:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _operation(schema: dict, path: str, method: str) -> dict:
    assert path in schema["paths"], f"{path} is not documented"
    assert method in schema["paths"][path], f"{method.upper()} {path} is not documented"
    return schema["paths"][path][method]


def _response_schema(schema: dict, path: str, method: str, status: int) -> dict:
    responses = _operation(schema, path, method)["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}: {sorted(responses)}"
    content = responses[str(status)].get("content", {})
    assert "application/json" in content, f"{method.upper()} {path} {status} documents no JSON body"
    return content["application/json"]["schema"]


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def assert_matches_documented(body, schema: dict, path: str, method: str, status: int) -> None:
    documented = _response_schema(schema, path, method, status)
    components = {name: _strict(sub) for name, sub in schema["components"]["schemas"].items()}
    if "Error" in components:  # an error body carries `errors` only for a 400 (as its schema says)
        components["Error"]["required"] = schema["components"]["schemas"]["Error"]["required"]
    validator = Draft202012Validator({**_strict(documented), "components": {"schemas": components}})
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(body)
    ]
    assert not problems, f"{method.upper()} {path} {status} differs from its schema:\n" + "\n".join(problems)


def _property_names(schema: dict, node: dict) -> set[str]:
    return set(_resolve(schema, node).get("properties", {}))


def _request_schema(schema: dict, path: str, method: str) -> dict:
    return _operation(schema, path, method)["requestBody"]["content"]["application/json"]["schema"]


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _path_parameters(path: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", path))


# --- the document itself ------------------------------------------------------------------


def test_schema_is_served_as_json_and_is_a_valid_openapi_document(schema):
    validate_schema(schema)

    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Pledgeboard API"
    assert {"/api/campaigns/", "/api/pledges/", "/api/auth/register/", "/api/auth/token/"} <= set(schema["paths"])


@pytest.mark.django_db
def test_schema_is_served_as_json_for_an_accept_header_too(api_client, schema):
    response = api_client.get("/api/schema/", HTTP_ACCEPT=SCHEMA_MEDIA_TYPE)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(SCHEMA_MEDIA_TYPE)
    assert json.loads(response.content) == schema


def test_every_operation_has_a_unique_operation_id_and_a_success_response(schema):
    ids = [operation["operationId"] for _, _, operation in _operations(schema)]

    assert len(ids) == len(set(ids))
    for path, method, operation in _operations(schema):
        assert any(code.startswith("2") for code in operation["responses"]), f"{method.upper()} {path}"


def test_register_and_token_are_documented_with_their_own_bodies(schema):
    """Two views whose nested serializers share a name must not share one component."""
    register_in = _request_schema(schema, "/api/auth/register/", "post")
    token_in = _request_schema(schema, "/api/auth/token/", "post")
    register_out = _response_schema(schema, "/api/auth/register/", "post", 202)
    token_out = _response_schema(schema, "/api/auth/token/", "post", 200)

    assert _property_names(schema, register_in) == {"username", "email", "password"}
    assert _property_names(schema, register_out) == {"username", "email", "detail"}  # no token before the link
    assert _property_names(schema, token_in) == {"username", "password", "otp"}
    assert _property_names(schema, token_out) == {"token"}


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("/api/campaigns/", {"page", "state", "funding_model", "search"}),
        ("/api/pledges/", {"page", "state", "campaign"}),
    ],
)
def test_list_filters_are_documented(schema, path, parameters):
    documented = {param["name"] for param in _operation(schema, path, "get").get("parameters", [])}

    assert parameters <= documented, f"undocumented query parameters of {path}: {parameters - documented}"


# --- every path answers ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["backer", "staff"])
def test_every_documented_get_without_path_parameters_answers_a_documented_status(schema, world, who):
    client = client_as(world[who])
    checked = []

    for path, method, operation in _operations(schema):
        if method != "get" or _path_parameters(path):
            continue
        response = client.get(path)
        assert str(response.status_code) in operation["responses"], (path, response.status_code)
        if response["Content-Type"].startswith("application/json") and response.status_code == 200:
            assert_matches_documented(response.json(), schema, path, "get", 200)
        checked.append(path)

    assert {"/api/campaigns/", "/api/pledges/"} <= set(checked)


@pytest.mark.django_db
def test_every_documented_get_with_path_parameters_answers_for_real_ids(schema, world):
    client = client_as(world["staff"])
    checked = []

    for path, method, operation in _operations(schema):
        names = _path_parameters(path)
        if method != "get" or not names or not names <= set(world["ids"]):
            continue
        url = path.format(**world["ids"])
        response = client.get(url)
        assert str(response.status_code) in operation["responses"], (url, response.status_code, response.content[:300])
        media_type = response["Content-Type"].split(";")[0]
        documented = operation["responses"][str(response.status_code)].get("content", {})
        if documented:
            assert media_type in documented, (url, media_type, sorted(documented))
        if media_type == "application/json":
            assert_matches_documented(response.json(), schema, path, "get", response.status_code)
        checked.append(path)

    assert {
        "/api/campaigns/{campaign_id}/",
        "/api/campaigns/{campaign_id}/rewards/",
        "/api/campaigns/{campaign_id}/rewards/{reward_id}/",
        "/api/pledges/{pledge_id}/",
    } <= set(checked)


@pytest.mark.django_db
def test_every_documented_operation_is_routed_and_refuses_anonymous_garbage_cleanly(schema, world):
    """Each documented path and method exists (no 404/405) and an anonymous empty body is no 500."""
    client = client_as(None)

    for path, method, _ in _operations(schema):
        names = _path_parameters(path)
        if not names <= set(world["ids"]):
            continue
        url = path.format(**world["ids"])
        response = getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)
        assert response.status_code not in (404, 405), (method, url, response.status_code)
        assert response.status_code < 500, (method, url, response.status_code, response.content[:300])
        if method != "get":
            assert response.status_code in (400, 401), (method, url, response.status_code)


# --- the main flows match their documented responses ----------------------------------------


@pytest.mark.django_db
def test_campaign_detail_matches_its_documented_schema(schema, world):
    path = "/api/campaigns/{campaign_id}/"

    response = client_as(None).get(path.format(**world["ids"]))

    assert response.status_code == 200
    body = response.json()
    assert_matches_documented(body, schema, path, "get", 200)
    assert {"id", "slug", "title", "creator", "state", "goal", "currency", "deadline", "launched_at"} <= set(body)
    assert {"pledged", "backers_count", "percent_funded", "rewards"} <= set(body)
    assert (body["pledged"], body["backers_count"], body["percent_funded"]) == ("30.00", 1, 3)


@pytest.mark.django_db
def test_reward_list_matches_its_documented_schema(schema, world):
    path = "/api/campaigns/{campaign_id}/rewards/"

    response = client_as(None).get(path.format(**world["ids"]))

    assert response.status_code == 200
    assert_matches_documented(response.json(), schema, path, "get", 200)
    by_title = {reward["title"]: reward for reward in response.json()}
    assert (by_title["Signed vinyl"]["limit"], by_title["Signed vinyl"]["remaining"]) == (100, 99)
    assert (by_title["Thank-you"]["limit"], by_title["Thank-you"]["remaining"]) == (None, None)


@pytest.mark.django_db
def test_campaign_create_201_matches_its_documented_schema(schema, user):
    response = client_as(user).post(
        "/api/campaigns/", {"title": "Tour", "goal": "5000", "currency": "JPY"}, format="json"
    )

    assert response.status_code == 201, response.json()
    assert_matches_documented(response.json(), schema, "/api/campaigns/", "post", 201)
    assert response.json()["goal"] == "5000"


@pytest.mark.django_db
@pytest.mark.parametrize("with_card", [True, False], ids=["active", "pending"])
def test_pledge_create_201_matches_its_documented_schema(schema, world, user, with_card):
    body = {"campaign": world["campaign"].pk, "reward": world["reward"].pk, "amount": "45.00"}
    if with_card:
        body["payment_method"] = factories.payment_method()

    response = client_as(user).post("/api/pledges/", body, format="json")

    assert response.status_code == 201, response.json()
    assert_matches_documented(response.json(), schema, "/api/pledges/", "post", 201)
    created = response.json()
    assert created["state"] == ("active" if with_card else "pending")
    assert (created["client_secret"] is None) is with_card


# --- the documentation page ------------------------------------------------------------------


@pytest.mark.django_db
def test_docs_page_serves_swagger_ui_from_our_own_static_files(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "SwaggerUIBundle" in html
    assert not re.search(r"cdn\.|jsdelivr|unpkg\.com|cdnjs|googleapis", html, re.IGNORECASE)
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any("swagger-ui-bundle.js" in reference for reference in references), references
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    for reference in references:
        parsed = urlparse(reference)
        assert not parsed.scheme and not parsed.netloc, f"external reference {reference}"
        assert reference.startswith(static_url), reference
        assert finders.find(parsed.path[len(static_url) :]), f"{reference} is not among our static files"
    schema_url = re.search(r"""url:\s*["']([^"']+)["']""", html).group(1)
    assert urlparse(schema_url).netloc == ""
    assert api_client.get(schema_url).status_code == 200


# --- every answer documented -----------------------------------------------------------------


def test_every_operation_documents_its_error_answers_with_the_error_body(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        if path == "/api/webhooks/stripe/":
            continue
        expected = {"429"}
        if {} not in operation.get("security", [{}]):
            expected.add("401")
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        if "{" in path or any(p["name"] == "page" for p in query):
            expected.add("404")
        if method != "get":
            expected |= {"400", "403", "409"}
        elif query:
            expected.add("400")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in expected:
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]


def test_pledge_creation_documents_401_409_and_429(schema):
    responses = schema["paths"]["/api/pledges/"]["post"]["responses"]

    assert {"201", "400", "401", "402", "403", "409", "429"} <= set(responses)


def test_the_webhook_documents_its_signature_header(schema):
    operation = schema["paths"]["/api/webhooks/stripe/"]["post"]

    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert (header["name"], header["required"]) == ("Stripe-Signature", True)
    assert set(operation["responses"]) == {"200", "400", "503"}


@pytest.mark.django_db
def test_removing_a_reminder_answers_what_is_documented(schema, user):
    campaign = factories.LiveCampaignFactory()
    documented = set(schema["paths"]["/api/campaigns/{campaign_id}/remind/"]["delete"]["responses"])

    response = client_as(user).delete(f"/api/campaigns/{campaign.pk}/remind/")

    assert str(response.status_code) in documented
    assert response.status_code == 200
