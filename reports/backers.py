"""The backer report of a campaign: one row per pledge, in pledge order, as Kickstarter's.

The backer number is the pledge's place among *all* the campaign's pledges
(ordered by when they were made), so a number never changes when the report is
filtered or a pledge changes state. SQL cannot number the whole campaign and
filter in one Django query (the filter would land inside the window), so the
query streams every pledge of the campaign from a server-side cursor in pledge
order and the tier and state filters are applied as the rows go by: constant
memory, one pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from campaigns.models import Campaign
from core.errors import InvalidInput
from core.money import quantize
from pledges.models import Charge, Pledge
from reports.writers import Report, Section

NO_REWARD = "none"
# Rows fetched from the server-side cursor per round trip.
FETCH_ROWS = 2000

BACKER_HEADER = [
    "Backer Number",
    "Backer UID",
    "Backer Name",
    "Email",
    "Reward ID",
    "Reward Title",
    "Reward Minimum",
    "Pledge Amount",
    "Shipping Amount",
    "Currency",
    "Pledged At",
    "Pledge Status",
    "Collected At",
    "Refunded Amount",
]

_FIELDS = (
    "backer_id",
    "backer__first_name",
    "backer__last_name",
    "backer__username",
    "backer__email",
    "reward_id",
    "reward__title",
    "reward__minimum",
    "reward__shipping",
    "amount",
    "created_at",
    "state",
    "collected_at",
    "refunded_amount",
)


@dataclass(frozen=True)
class BackerFilters:
    """``reward``: a tier id, NO_REWARD for pledges without one, None for all; ``states``: empty for all."""

    reward: int | str | None = None
    states: tuple[str, ...] = ()

    @classmethod
    def parse(cls, *, campaign: Campaign, reward: str | None = None, state: str | None = None) -> BackerFilters:
        """From query parameters: ``reward=<tier id>|none``, ``state=collected[,errored…]``."""
        tier: int | str | None = None
        if reward not in (None, ""):
            if reward.strip().lower() == NO_REWARD:
                tier = NO_REWARD
            else:
                try:
                    tier = int(reward)
                except ValueError:
                    raise InvalidInput("reward must be a reward id or 'none'.", code="invalid_reward") from None
                if not campaign.rewards.filter(pk=tier).exists():
                    raise InvalidInput("That reward does not belong to this campaign.", code="unknown_reward")
        states: tuple[str, ...] = ()
        if state not in (None, ""):
            states = tuple(sorted({part.strip().lower() for part in state.split(",") if part.strip()}))
            unknown = [s for s in states if s not in Pledge.State.values]
            if unknown:
                choices = ", ".join(Pledge.State.values)
                raise InvalidInput(f"Unknown pledge state {unknown[0]!r}; one of {choices}.", code="invalid_state")
        return cls(reward=tier, states=states)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BackerFilters:
        return cls(reward=data.get("reward"), states=tuple(data.get("states") or ()))

    def as_json(self) -> dict[str, Any]:
        return {"reward": self.reward, "states": list(self.states)}

    def matches(self, reward_id: int | None, state: str) -> bool:
        if self.states and state not in self.states:
            return False
        if self.reward == NO_REWARD:
            return reward_id is None
        return self.reward is None or reward_id == self.reward

    def apply(self, pledges):
        if self.states:
            pledges = pledges.filter(state__in=self.states)
        if self.reward == NO_REWARD:
            pledges = pledges.filter(reward__isnull=True)
        elif self.reward is not None:
            pledges = pledges.filter(reward_id=self.reward)
        return pledges


def backer_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def backer_count(campaign: Campaign, filters: BackerFilters) -> int:
    return filters.apply(Pledge.objects.filter(campaign_id=campaign.pk)).count()


def _backer_rows(campaign: Campaign, filters: BackerFilters) -> Iterator[list[Any]]:
    currency = campaign.currency
    pledges = (
        Pledge.objects.filter(campaign_id=campaign.pk)
        .annotate(refunded_amount=_refunded_amount())
        .order_by("created_at", "pk")
        .values_list(*_FIELDS)
    )
    number = 0
    for row in pledges.iterator(chunk_size=FETCH_ROWS):
        number += 1
        backer_id, first, last, username, email, reward_id, title, minimum, shipping, amount, *rest = row
        at, state, collected, refunded = rest
        if not filters.matches(reward_id, state):
            continue
        yield [
            number,
            backer_id,
            backer_name(first, last, username),
            email,
            reward_id,
            title,
            None if minimum is None else quantize(minimum, currency),
            quantize(amount, currency),
            None if shipping is None else quantize(shipping, currency),
            currency,
            at,
            state,
            collected,
            quantize(refunded, currency),
        ]


def _refunded_amount():
    """What the provider refunded of the pledge's charge: partial refunds show as such."""
    charge = Charge.objects.filter(pledge=OuterRef("pk"), state=Charge.State.SUCCEEDED).values("refunded_amount")[:1]
    return Coalesce(Subquery(charge), Value(Decimal("0")), output_field=Pledge._meta.get_field("amount"))


def backer_report(campaign: Campaign, filters: BackerFilters | None = None) -> Report:
    """The report, lazily: nothing is read until its rows are iterated."""
    filters = filters or BackerFilters()
    return Report(
        name=f"backers-{campaign.slug}",
        sections=[Section(title="Backers", header=BACKER_HEADER, rows=_backer_rows(campaign, filters))],
        rows_total=backer_count(campaign, filters),
    )


# --- any selection of pledges (the admin's export) ------------------------------------

PLEDGE_HEADER = [
    "Pledge ID",
    "Campaign ID",
    "Campaign",
    "Backer UID",
    "Backer Name",
    "Email",
    "Reward ID",
    "Reward Title",
    "Pledge Amount",
    "Currency",
    "Pledged At",
    "Pledge Status",
    "Collected At",
    "Refunded At",
    "Refunded Amount",
]


def _pledge_rows(pledges) -> Iterator[list[Any]]:
    rows = (
        pledges.annotate(refunded_amount=_refunded_amount())
        .order_by("campaign_id", "created_at", "pk")
        .values_list(
            "pk",
            "campaign_id",
            "campaign__title",
            "campaign__currency",
            "backer_id",
            "backer__first_name",
            "backer__last_name",
            "backer__username",
            "backer__email",
            "reward_id",
            "reward__title",
            "amount",
            "created_at",
            "state",
            "collected_at",
            "refunded_at",
            "refunded_amount",
        )
    )
    for row in rows.iterator(chunk_size=FETCH_ROWS):
        pk, campaign_id, campaign, currency, backer_id, first, last, username, email, reward_id, title, *rest = row
        amount, at, state, collected, refunded, refunded_amount = rest
        yield [
            pk,
            campaign_id,
            campaign,
            backer_id,
            backer_name(first, last, username),
            email,
            reward_id,
            title,
            quantize(amount, currency),
            currency,
            at,
            state,
            collected,
            refunded,
            quantize(refunded_amount, currency),
        ]


def pledge_report(pledges) -> Report:
    """Any queryset of pledges across campaigns, each amount in its campaign's currency."""
    return Report(
        name="pledges",
        sections=[Section(title="Pledges", header=PLEDGE_HEADER, rows=_pledge_rows(pledges))],
        rows_total=pledges.count(),
    )
