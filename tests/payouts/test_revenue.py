"""Staff's platform revenue report: fees per month and currency from the ledger, CSV or XLSX."""

from decimal import Decimal

import pytest

from pledges.services import pledge_refund
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_revenue_per_month_and_currency_nets_the_returned_fees(staff):
    usd = factories.CollectedPledgeFactory(amount=Decimal("40.00"))
    eur = factories.CollectedPledgeFactory(amount=Decimal("10.10"), campaign__currency="EUR")
    pledge_refund(pledge=eur, by=staff)
    month = usd.collected_at.strftime("%Y-%m")

    response = client_for(staff).get("/api/reports/revenue/")
    body = b"".join(response.streaming_content).decode().replace("\r", "").splitlines()

    assert response.status_code == 200
    assert body[0] == (
        "Month,Currency,Charges,Gross Collected,Platform Fees,Platform Fees Returned,Net Platform Revenue,"
        "Processing Fees"
    )
    # EUR: 10.10 at 5 % is 0.505 -> 0.51, all returned with the refund (the processing fees are read
    # after the commit, which a test's transaction never reaches)
    assert sorted(body[1:]) == [f"{month},EUR,1,10.10,0.51,0.51,0.00,0.00", f"{month},USD,1,40.00,2.00,0.00,2.00,0.00"]


def test_only_staff_who_export_the_platform_report_read_it(staff):
    assert client_for(factories.UserFactory()).get("/api/reports/revenue/").status_code == 403
    assert client_for(staff).get("/api/reports/revenue/?format=pdf").status_code == 400
