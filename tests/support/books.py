"""Campaigns in every state, built through the services, for the report and admin tests."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from campaigns.models import Campaign
from closing.services import campaign_cancel, collection
from pledges.models import Pledge
from pledges.services import pledge_cancel, pledge_refund
from rewards.services import add_on_create
from tests import factories


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


@dataclass
class Books:
    staff: object
    by_state: dict[str, Campaign] = field(default_factory=dict)
    pledges: dict[str, Pledge] = field(default_factory=dict)

    @property
    def campaigns(self) -> list[Campaign]:
        return list(self.by_state.values())


def build_books(*, staff) -> Books:
    """One campaign per state (and a flexible one), with pledges in most pledge states."""
    books = Books(staff=staff)
    books.by_state["draft"] = factories.DraftCampaignFactory(title="A draft", goal=Decimal("500.00"))

    live = factories.LiveCampaignFactory(
        title="Live one", goal=Decimal("100.00"), rewards=[{"title": "Poster", "minimum": Decimal("20.00")}]
    )
    for title, price in (("Sticker", Decimal("3.00")), ("Tote bag", Decimal("15.00"))):  # offered, not bought
        add_on_create(campaign=live, title=title, price=price, limit=50)
    books.pledges["active"] = factories.PledgeFactory(campaign=live, amount="25.00", reward=live.rewards.get())
    books.pledges["pending"] = factories.PledgeFactory(campaign=live, amount=Decimal("15.00"), card=None)
    books.by_state["live"] = live

    successful = factories.LiveCampaignFactory(
        title="Funded one",
        goal=Decimal("50.00"),
        rewards=[{"title": "Vinyl", "minimum": Decimal("30.00"), "limit": 10, "shipping": Decimal("7.50")}],
    )
    vinyl = successful.rewards.get().pk
    books.pledges["collected"] = factories.PledgeFactory(
        campaign=successful, amount="40.00", reward=vinyl, shipping_country="US"
    )
    books.pledges["refunded"] = factories.PledgeFactory(
        campaign=successful, amount="37.55", reward=vinyl, shipping_country="US"
    )
    books.pledges["errored"] = factories.PledgeFactory(
        campaign=successful, amount="12.00", card=factories.CARD_DECLINES_ON_CHARGE
    )
    canceled_pledge = factories.PledgeFactory(campaign=successful, amount="99.00")
    books.pledges["canceled"] = pledge_cancel(pledge=canceled_pledge)
    factories.closed(successful)
    for pledge in successful.pledges.filter(state=Pledge.State.ACTIVE):
        collection.pledge_collect(pledge_id=pledge.pk)
    pledge_refund(pledge=books.pledges["refunded"], by=staff)
    books.by_state["successful"] = successful

    failed = factories.LiveCampaignFactory(title="Missed one", goal=Decimal("10000.00"))
    books.pledges["released"] = factories.PledgeFactory(campaign=failed, amount="20.00")
    factories.closed(failed)
    books.by_state["failed"] = failed

    canceled = factories.LiveCampaignFactory(title="Stopped one", goal=Decimal("300.00"))
    factories.PledgeFactory(campaign=canceled, amount="50.00")
    campaign_cancel(campaign=canceled)
    books.by_state["canceled"] = canceled

    flexible = factories.LiveCampaignFactory(
        title="Flexible one", goal=Decimal("100000"), currency="JPY", funding_model="flexible"
    )
    factories.PledgeFactory(campaign=flexible, amount="3000")
    factories.closed(flexible)
    for pledge in flexible.pledges.filter(state=Pledge.State.ACTIVE):
        collection.pledge_collect(pledge_id=pledge.pk)
    books.by_state["flexible"] = flexible

    for campaign in books.by_state.values():
        campaign.refresh_from_db()
    for pledge in books.pledges.values():
        pledge.refresh_from_db()
    return books
