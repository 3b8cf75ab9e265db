"""Campaigns in every state, built through the services, for the report and admin tests."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from campaigns.models import Campaign
from closing.services import campaign_cancel, campaign_close, collection
from pledges.models import Pledge
from pledges.services import pledge_cancel, pledge_create, pledge_refund
from tests import factories
from tests.pledges.helpers import back, end


def parse_csv(content: bytes | str) -> list[list[str]]:
    text = content.decode() if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text, newline="")))


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def split_sections(rows: list[list[str]]) -> list[list[list[str]]]:
    """The CSV's tables, split at blank lines (a section after the first starts with its title)."""
    sections, current = [], []
    for row in rows:
        if not row:
            sections.append(current)
            current = []
        else:
            current.append(row)
    sections.append(current)
    return sections


def close(campaign: Campaign, capture) -> Campaign:
    """Deadline passed and the campaign closed; collection is run by the caller, not the queue."""
    end(campaign)
    with capture(execute=False):
        campaign_close(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


@dataclass
class Books:
    staff: object
    by_state: dict[str, Campaign] = field(default_factory=dict)
    pledges: dict[str, Pledge] = field(default_factory=dict)

    @property
    def campaigns(self) -> list[Campaign]:
        return list(self.by_state.values())


def build_books(*, staff, capture) -> Books:
    """One campaign per state (and a flexible one), with pledges in most pledge states."""
    books = Books(staff=staff)
    books.by_state["draft"] = factories.draft_campaign(title="A draft", goal=Decimal("500.00"))

    live = factories.live_campaign(
        title="Live one", goal=Decimal("100.00"), rewards=[{"title": "Poster", "minimum": Decimal("20.00")}]
    )
    books.pledges["active"] = back(live, "25.00", reward=live.rewards.get().pk)
    books.pledges["pending"] = pledge_create(
        backer=factories.UserFactory(), campaign_id=live.pk, amount=Decimal("15.00")
    )
    books.by_state["live"] = live

    successful = factories.live_campaign(
        title="Funded one",
        goal=Decimal("50.00"),
        rewards=[{"title": "Vinyl", "minimum": Decimal("30.00"), "limit": 10, "shipping": Decimal("7.50")}],
    )
    vinyl = successful.rewards.get().pk
    books.pledges["collected"] = back(successful, "40.00", reward=vinyl)
    books.pledges["refunded"] = back(successful, "37.55", reward=vinyl)
    books.pledges["errored"] = back(successful, "12.00", card=factories.CARD_DECLINES_ON_CHARGE)
    canceled_pledge = back(successful, "99.00")
    books.pledges["canceled"] = pledge_cancel(pledge=canceled_pledge)
    close(successful, capture)
    for pledge in successful.pledges.filter(state=Pledge.State.ACTIVE):
        collection.pledge_collect(pledge_id=pledge.pk)
    pledge_refund(pledge=books.pledges["refunded"], by=staff)
    books.by_state["successful"] = successful

    failed = factories.live_campaign(title="Missed one", goal=Decimal("10000.00"))
    books.pledges["released"] = back(failed, "20.00")
    close(failed, capture)
    books.by_state["failed"] = failed

    canceled = factories.live_campaign(title="Stopped one", goal=Decimal("300.00"))
    back(canceled, "50.00")
    campaign_cancel(campaign=canceled)
    books.by_state["canceled"] = canceled

    flexible = factories.live_campaign(
        title="Flexible one", goal=Decimal("100000"), currency="JPY", funding_model="flexible"
    )
    back(flexible, "3000")
    close(flexible, capture)
    for pledge in flexible.pledges.filter(state=Pledge.State.ACTIVE):
        collection.pledge_collect(pledge_id=pledge.pk)
    books.by_state["flexible"] = flexible

    for campaign in books.by_state.values():
        campaign.refresh_from_db()
    for pledge in books.pledges.values():
        pledge.refresh_from_db()
    return books
