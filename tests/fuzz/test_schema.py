"""Schemathesis against the project's own OpenAPI schema, served by a live server: generated
requests to every operation as anonymous, backer, creator and staff; every answer checked
(no 5xx; status codes, content types, headers and bodies as documented; negative data
refused; ...). A bounded run here (FUZZ_EXAMPLES per operation and caller, default 3);
`make fuzz` runs a long one.

One check is left out: "schema-valid data must be accepted". The schema cannot say a
password must not be common, a currency must be one we take, a campaign must be live or a
webhook must carry Stripe's signature; refusing such requests with a 400 is the contract.
"""

import os
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.tokens import token_issue
from tests import factories

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))


def _revokes_tokens(operation) -> bool:
    """Revoking a token (maybe the caller's own: ids are small) would make every later request a 401."""
    return operation.path.startswith("/api/auth/tokens/") and operation.method.lower() in ("post", "delete")


def fuzz(schema, *, headers: dict[str, str] | None = None) -> list[str]:
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in sorted(operations, key=_revokes_tokens):  # those last; the sort keeps the order otherwise

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            run()
        except Exception as failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(failure)[:1500]}")
        except BaseExceptionGroup as failures_found:  # schemathesis reports several at once
            failures.append(f"{operation.method.upper()} {operation.path}: {str(failures_found)[:1500]}")
    return failures


@pytest.fixture
def callers():
    creator = factories.UserFactory()
    campaign = factories.LiveCampaignFactory(
        creator=creator, goal=Decimal("100.00"), rewards=[{"title": "LP", "minimum": Decimal("20.00"), "limit": 5}]
    )
    pledge = factories.PledgeFactory(campaign=campaign, amount="25.00")
    staff = factories.StaffFactory()
    return {
        "anonymous": None,
        "backer": token_issue(user=pledge.backer),
        "creator": token_issue(user=creator),
        "staff": token_issue(user=staff),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("caller", ["anonymous", "backer", "creator", "staff"])
def test_the_api_answers_as_documented(live_server, callers, caller):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    token = callers[caller]

    failures = fuzz(schema, headers={"Authorization": f"Token {token}"} if token else None)

    assert failures == [], "\n\n".join(failures)
