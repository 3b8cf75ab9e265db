"""Reward tiers and their limited stock.

Stock is claimed with one conditional UPDATE, so concurrent backers race inside
PostgreSQL and the loser sees zero rows: a tier is never oversold, and the
``reward_never_oversold`` check constraint backs that up.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from campaigns.models import Campaign
from core.errors import Conflict, InvalidInput
from core.hotcache import invalidate_campaign
from core.money import quantize, validate_amount
from core.text import check_plain_text
from rewards.models import AddOn, RewardTier, ShippingRule
from rewards.regions import Region, regions_of

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
        _check_shipping_price(campaign, shipping)


def _check_shipping_price(campaign: Campaign, price: Decimal) -> None:
    if price < 0:
        raise InvalidInput(_("Shipping cannot be negative."), code="invalid_shipping")
    if price:
        validate_amount(price, campaign.currency, field="shipping")


def _check_delivery(estimated_delivery: date | None) -> None:
    if estimated_delivery is not None and estimated_delivery < timezone.localdate():
        raise InvalidInput(_("The estimated delivery cannot be in the past."), code="invalid_estimated_delivery")


def _editable(campaign: Campaign) -> None:
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.LIVE):
        raise Conflict(_("Rewards of a closed campaign cannot change."), code="campaign_closed")


@dataclass(frozen=True)
class Rule:
    """A shipping rule as typed: a country code or a region (rewards.regions.Region), and its price."""

    price: Decimal
    country: str = ""
    region: str = ""


# More rules than there are countries and regions cannot be meant.
MAX_SHIPPING_RULES = 300


def _checked_rules(campaign: Campaign, rules: Sequence[Rule]) -> list[Rule]:
    if len(rules) > MAX_SHIPPING_RULES:
        raise InvalidInput(
            _("At most %(count)d shipping rules per reward.") % {"count": MAX_SHIPPING_RULES},
            code="too_many_rules",
            field="shipping_rules",
        )
    seen: set[str] = set()
    checked = []
    for rule in rules:
        country, region = (rule.country or "").strip().upper(), (rule.region or "").strip().lower()
        if bool(country) == bool(region):
            raise InvalidInput(
                _("A shipping rule names either a country or a region."), code="invalid_rule", field="shipping_rules"
            )
        if country and country not in countries:
            raise InvalidInput(
                _("Unknown country %(code)r.") % {"code": country}, code="unknown_country", field="shipping_rules"
            )
        if region and region not in Region.values:
            raise InvalidInput(
                _("Unknown region %(code)r.") % {"code": region}, code="unknown_region", field="shipping_rules"
            )
        _check_shipping_price(campaign, rule.price)
        if (country or region) in seen:
            raise InvalidInput(
                _("Two shipping rules for %(place)s.") % {"place": country or region},
                code="duplicate_rule",
                field="shipping_rules",
            )
        seen.add(country or region)
        checked.append(Rule(price=quantize(rule.price, campaign.currency), country=country, region=region))
    return checked


def _write_rules(reward: RewardTier, rules: Iterable[Rule]) -> None:
    reward.shipping_rules.all().delete()
    ShippingRule.objects.bulk_create(
        ShippingRule(tier=reward, country=rule.country, region=rule.region, price=rule.price) for rule in rules
    )


def world_shipping(reward: RewardTier) -> Decimal:
    """The rest-of-world price (what a flat shipping cost became); zero without one."""
    for rule in reward.shipping_rules.all():
        if rule.region == Region.WORLD:
            return rule.price
    return Decimal("0")


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
    ships: bool | None = None,
    shipping_rules: Sequence[Rule] | None = None,
) -> RewardTier:
    """A tier. ``shipping`` (a flat cost, the older way) is a rest-of-world rule; ``ships`` defaults
    to whether any rule is given."""
    check_plain_text(title, field="title")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _editable(campaign)
    _check_money(campaign, minimum=minimum, shipping=shipping)
    _check_delivery(estimated_delivery)
    rules = list(shipping_rules or ())
    if shipping:
        rules = [rule for rule in rules if rule.region != Region.WORLD] + [Rule(price=shipping, region=Region.WORLD)]
    rules = _checked_rules(campaign, rules)
    ships = bool(rules) if ships is None else ships
    if not ships and rules:
        raise InvalidInput(_("A digital reward has no shipping rules."), code="digital_rules", field="shipping_rules")
    invalidate_campaign(campaign.pk)
    reward = RewardTier.objects.create(
        campaign=campaign,
        title=title,
        description=description,
        minimum=minimum,
        limit=limit,
        estimated_delivery=estimated_delivery,
        ships=ships,
    )
    _write_rules(reward, rules)
    return reward


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
    ships: bool | None = None,
    shipping_rules: Sequence[Rule] | None = None,
) -> RewardTier:
    """Edit a tier. Once the campaign is live its price is fixed and its limit may only grow;
    its destinations and their prices may change (a pledge keeps the price it was made at)."""
    if title is not None:
        check_plain_text(title, field="title")
    reward = RewardTier.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=reward.pk)
    campaign = reward.campaign
    _editable(campaign)
    _check_money(campaign, minimum=None if minimum == reward.minimum else minimum, shipping=shipping)
    live = campaign.state == Campaign.State.LIVE
    if live and minimum is not None and minimum != reward.minimum:
        raise Conflict(_("A reward's minimum is fixed once the campaign is live."), code="reward_fixed")
    if live and shipping is not None and shipping != world_shipping(reward):
        raise Conflict(_("A reward's shipping cost is fixed once the campaign is live."), code="reward_fixed")
    if limit is not _UNSET:
        _check_limit(reward, limit, live=live)
        reward.limit = limit
    for field, value in (("title", title), ("description", description), ("minimum", minimum)):
        if value is not None:
            setattr(reward, field, value)
    if estimated_delivery is not _UNSET:
        if estimated_delivery != reward.estimated_delivery:  # a date already stored may stay as it is
            _check_delivery(estimated_delivery)
        reward.estimated_delivery = estimated_delivery
    if shipping is not None and shipping_rules is None:  # the older flat cost: the rest-of-world rule
        others = [
            Rule(price=r.price, country=str(r.country), region=r.region)
            for r in reward.shipping_rules.all()
            if r.region != Region.WORLD
        ]
        shipping_rules = others + ([Rule(price=shipping, region=Region.WORLD)] if shipping else [])
        ships = bool(shipping_rules) if ships is None else ships
    if ships is not None or shipping_rules is not None:
        _set_shipping(reward, ships=reward.ships if ships is None else ships, rules=shipping_rules)
    reward.save()
    invalidate_campaign(campaign.pk)
    return reward


def _check_limit(reward: RewardTier, limit: int | None, *, live: bool) -> None:
    if limit is not None and limit < reward.claimed:
        raise Conflict(
            _("The limit cannot go below the %(claimed)d already claimed.") % {"claimed": reward.claimed},
            code="limit_below_claimed",
        )
    if live and reward.limit is None and limit is not None:
        raise Conflict(_("An unlimited reward cannot become limited once live."), code="reward_fixed")
    if live and reward.limit is not None and limit is not None and limit < reward.limit:
        raise Conflict(_("A reward's limit can only be raised once live."), code="limit_lowered")


def _set_shipping(reward: RewardTier, *, ships: bool, rules: Sequence[Rule] | None) -> None:
    if ships != reward.ships and reward.claimed:
        raise Conflict(
            _("Backers hold this reward: whether it ships can no longer change."), code="reward_fixed", field="ships"
        )
    if rules is None:
        rules = [] if not ships else [Rule(r.price, str(r.country), r.region) for r in reward.shipping_rules.all()]
    checked = _checked_rules(reward.campaign, rules)
    if not ships and checked:
        raise InvalidInput(_("A digital reward has no shipping rules."), code="digital_rules", field="shipping_rules")
    reward.ships = ships
    _write_rules(reward, checked)


def shipping_price(*, reward: RewardTier, country: str) -> Decimal:
    """What shipping ``reward`` to ``country`` costs: a country rule, else the most specific region
    that holds it (rewards.regions), else the rest of the world. InvalidInput when it does not ship there."""
    code = (country or "").strip().upper()
    if not code:
        raise InvalidInput(
            _("Choose where the reward should be shipped."), code="shipping_country_required", field="shipping_country"
        )
    if code not in countries:
        raise InvalidInput(
            _("Unknown country %(code)r.") % {"code": country[:10]}, code="unknown_country", field="shipping_country"
        )
    rules = list(reward.shipping_rules.all())
    by_country = {str(rule.country): rule.price for rule in rules if rule.country}
    if code in by_country:
        return by_country[code]
    by_region = {rule.region: rule.price for rule in rules if rule.region}
    for region in regions_of(code):
        if region in by_region:
            return by_region[region]
    raise InvalidInput(
        _("This reward does not ship to %(country)s.") % {"country": countries.name(code)},
        code="not_shipped",
        field="shipping_country",
    )


# --- add-ons ------------------------------------------------------------------------------

_CLAIM_ADD_ON = (
    'UPDATE "rewards_addon" SET "claimed" = "claimed" + %s '
    'WHERE "id" = %s AND ("limit" IS NULL OR "claimed" + %s <= "limit") RETURNING "id"'
)
_RELEASE_ADD_ON = 'UPDATE "rewards_addon" SET "claimed" = GREATEST("claimed" - %s, 0) WHERE "id" = %s RETURNING "id"'


def add_on_claim(*, add_on_id: int, quantity: int) -> None:
    """Take ``quantity`` units of the add-on's stock in one conditional UPDATE; Conflict when too few are left."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_ADD_ON, [quantity, add_on_id, quantity])
        row = cursor.fetchone()
    if row is None:
        raise Conflict(_("Not enough of this add-on is left."), code="add_on_sold_out", field="add_ons")


def add_on_release(*, add_on_id: int, quantity: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_ADD_ON, [quantity, add_on_id])


def add_on_offered(add_on: AddOn, reward: RewardTier | None) -> bool:
    """An add-on goes with the tiers it names, or with every tier when it names none; never without a tier."""
    if reward is None:
        return False
    tier_ids = {tier.pk for tier in add_on.tiers.all()}
    return not tier_ids or reward.pk in tier_ids


def _check_add_on(
    campaign: Campaign, *, title: str | None, price: Decimal | None, max_per_backer: int | None, tier_ids: Any
) -> list[RewardTier] | None:
    if title is not None:
        check_plain_text(title, field="title")
    if price is not None:
        validate_amount(price, campaign.currency, field="price")
    if max_per_backer is not None and max_per_backer < 1:
        raise InvalidInput(
            _("The most per backer must be at least 1."), code="invalid_max_per_backer", field="max_per_backer"
        )
    if tier_ids is None:
        return None
    tiers = list(RewardTier.objects.filter(campaign=campaign, pk__in=tier_ids))
    if len(tiers) != len(set(tier_ids)):
        raise InvalidInput(_("That reward does not belong to this campaign."), code="unknown_reward", field="tiers")
    return tiers


@transaction.atomic
def add_on_create(
    *,
    campaign: Campaign,
    title: str,
    price: Decimal,
    description: str = "",
    limit: int | None = None,
    max_per_backer: int = 1,
    tiers: Sequence[int] = (),
) -> AddOn:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _editable(campaign)
    chosen = _check_add_on(campaign, title=title, price=price, max_per_backer=max_per_backer, tier_ids=list(tiers))
    add_on = AddOn.objects.create(
        campaign=campaign,
        title=title,
        description=description,
        price=price,
        limit=limit,
        max_per_backer=max_per_backer,
    )
    add_on.tiers.set(chosen or [])
    invalidate_campaign(campaign.pk)
    return add_on


@transaction.atomic
def add_on_update(
    *,
    add_on: AddOn,
    title: str | None = None,
    description: str | None = None,
    price: Decimal | None = None,
    limit: Any = _UNSET,
    max_per_backer: int | None = None,
    tiers: Sequence[int] | None = None,
) -> AddOn:
    """Edit an add-on. Once the campaign is live its price is fixed and its limit may only grow."""
    add_on = AddOn.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=add_on.pk)
    campaign = add_on.campaign
    _editable(campaign)
    chosen = _check_add_on(
        campaign,
        title=title,
        price=price,
        max_per_backer=max_per_backer,
        tier_ids=None if tiers is None else list(tiers),
    )
    live = campaign.state == Campaign.State.LIVE
    if live and price is not None and price != add_on.price:
        raise Conflict(_("An add-on's price is fixed once the campaign is live."), code="add_on_fixed", field="price")
    if limit is not _UNSET:
        if limit is not None and limit < add_on.claimed:
            raise Conflict(
                _("The limit cannot go below the %(claimed)d already claimed.") % {"claimed": add_on.claimed},
                code="limit_below_claimed",
                field="limit",
            )
        add_on.limit = limit
    for field, value in (("title", title), ("description", description), ("price", price)):
        if value is not None:
            setattr(add_on, field, value)
    if max_per_backer is not None:
        add_on.max_per_backer = max_per_backer
    add_on.save()
    if chosen is not None:
        add_on.tiers.set(chosen)
    invalidate_campaign(campaign.pk)
    return add_on


@transaction.atomic
def add_on_delete(*, add_on: AddOn) -> None:
    add_on = AddOn.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=add_on.pk)
    _editable(add_on.campaign)
    if add_on.claimed or add_on.pledge_lines.exists():
        raise Conflict(_("Backers hold this add-on; it cannot be deleted."), code="add_on_in_use")
    invalidate_campaign(add_on.campaign_id)
    add_on.delete()


@transaction.atomic
def reward_delete(*, reward: RewardTier) -> None:
    reward = RewardTier.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=reward.pk)
    _editable(reward.campaign)
    if reward.claimed or reward.pledges.exists():
        raise Conflict(_("Backers hold this reward; it cannot be deleted."), code="reward_in_use")
    invalidate_campaign(reward.campaign_id)
    reward.delete()
