"""Reward tiers and their limited stock.

Stock is claimed with one conditional UPDATE, so concurrent backers race inside
PostgreSQL and the loser sees zero rows: a tier is never oversold, and the
``reward_never_oversold`` check constraint backs that up.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from core.errors import Conflict, InvalidInput
from core.hotcache import invalidate_campaign
from core.money import validate_amount
from core.text import check_plain_text
from rewards.models import RewardTier

_UNSET = object()


# One statement each, returning what the hot cache needs to know: whether the tier is limited
# (its stock shows on the campaign's page and must never look available once sold out).
_CLAIM = (
    'UPDATE "rewards_rewardtier" SET "claimed" = "claimed" + 1 '
    'WHERE "id" = %s AND ("limit" IS NULL OR "claimed" < "limit") RETURNING "campaign_id", "limit"'
)
_RELEASE = (
    'UPDATE "rewards_rewardtier" SET "claimed" = "claimed" - 1 '
    'WHERE "id" = %s AND "claimed" > 0 RETURNING "campaign_id", "limit"'
)


def _stock_moved(sql: str, reward_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(sql, [reward_id])
        row = cursor.fetchone()
    if row is None:
        return False
    campaign_id, limit = row
    if limit is not None:
        invalidate_campaign(campaign_id)
    return True


def tier_claim(*, reward_id: int) -> None:
    """Take one unit of the tier's stock; raises Conflict when it is sold out."""
    if not _stock_moved(_CLAIM, reward_id):
        raise Conflict(_("This reward is sold out."), code="sold_out")


def tier_release(*, reward_id: int) -> None:
    _stock_moved(_RELEASE, reward_id)


def _check_money(campaign: Campaign, *, minimum: Decimal | None, shipping: Decimal | None) -> None:
    if minimum is not None:  # a tier's price is one card payment: at least what the provider charges
        validate_amount(minimum, campaign.currency, field="minimum", chargeable=True)
    if shipping is not None:
        if shipping < 0:
            raise InvalidInput(_("Shipping cannot be negative."), code="invalid_shipping")
        if shipping:
            validate_amount(shipping, campaign.currency, field="shipping")


def _check_delivery(estimated_delivery: date | None) -> None:
    if estimated_delivery is not None and estimated_delivery < timezone.localdate():
        raise InvalidInput(_("The estimated delivery cannot be in the past."), code="invalid_estimated_delivery")


def _editable(campaign: Campaign) -> None:
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.LIVE):
        raise Conflict(_("Rewards of a closed campaign cannot change."), code="campaign_closed")


@transaction.atomic
def reward_create(
    *,
    campaign: Campaign,
    title: str,
    minimum: Decimal,
    description: str = "",
    limit: int | None = None,
    estimated_delivery: date | None = None,
    shipping: Decimal = Decimal("0"),
) -> RewardTier:
    check_plain_text(title, field="title")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _editable(campaign)
    _check_money(campaign, minimum=minimum, shipping=shipping)
    _check_delivery(estimated_delivery)
    invalidate_campaign(campaign.pk)
    return RewardTier.objects.create(
        campaign=campaign,
        title=title,
        description=description,
        minimum=minimum,
        limit=limit,
        estimated_delivery=estimated_delivery,
        shipping=shipping,
    )


@transaction.atomic
def reward_update(
    *,
    reward: RewardTier,
    title: str | None = None,
    description: str | None = None,
    minimum: Decimal | None = None,
    limit: Any = _UNSET,
    estimated_delivery: Any = _UNSET,
    shipping: Decimal | None = None,
) -> RewardTier:
    """Edit a tier. Once the campaign is live its price is fixed and its limit may only grow."""
    if title is not None:
        check_plain_text(title, field="title")
    reward = RewardTier.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=reward.pk)
    campaign = reward.campaign
    _editable(campaign)
    _check_money(campaign, minimum=None if minimum == reward.minimum else minimum, shipping=shipping)
    live = campaign.state == Campaign.State.LIVE
    if live and minimum is not None and minimum != reward.minimum:
        raise Conflict(_("A reward's minimum is fixed once the campaign is live."), code="reward_fixed")
    if live and shipping is not None and shipping != reward.shipping:
        raise Conflict(_("A reward's shipping cost is fixed once the campaign is live."), code="reward_fixed")
    if limit is not _UNSET:
        if limit is not None and limit < reward.claimed:
            raise Conflict(
                _("The limit cannot go below the %(claimed)d already claimed.") % {"claimed": reward.claimed},
                code="limit_below_claimed",
            )
        if live and reward.limit is None and limit is not None:
            raise Conflict(_("An unlimited reward cannot become limited once live."), code="reward_fixed")
        if live and reward.limit is not None and limit is not None and limit < reward.limit:
            raise Conflict(_("A reward's limit can only be raised once live."), code="limit_lowered")
        reward.limit = limit
    for field, value in (("title", title), ("description", description), ("minimum", minimum), ("shipping", shipping)):
        if value is not None:
            setattr(reward, field, value)
    if estimated_delivery is not _UNSET:
        if estimated_delivery != reward.estimated_delivery:  # a date already stored may stay as it is
            _check_delivery(estimated_delivery)
        reward.estimated_delivery = estimated_delivery
    reward.save()
    invalidate_campaign(campaign.pk)
    return reward


@transaction.atomic
def reward_delete(*, reward: RewardTier) -> None:
    reward = RewardTier.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=reward.pk)
    _editable(reward.campaign)
    if reward.claimed or reward.pledges.exists():
        raise Conflict(_("Backers hold this reward; it cannot be deleted."), code="reward_in_use")
    invalidate_campaign(reward.campaign_id)
    reward.delete()
