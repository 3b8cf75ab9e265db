"""Campaign use cases: every write to a campaign goes through here, in a transaction."""

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from campaigns.models import Campaign
from campaigns.signals import campaign_funded
from core.errors import Conflict, InvalidInput
from core.hotcache import invalidate_campaign
from core.money import MAX_GOAL, validate_amount, validate_currency
from core.text import check_plain_text

_UNSET = object()


def _slug_for(title: str) -> str:
    return f"{slugify(title)[:120] or 'campaign'}-{secrets.token_hex(3)}"


def _check_deadline_future(deadline: datetime | None, now: datetime) -> None:
    if deadline is not None and deadline <= now:
        raise InvalidInput("The deadline must be in the future.", code="invalid_deadline")


@transaction.atomic
def campaign_create(
    *,
    creator: AbstractBaseUser,
    title: str,
    goal: Decimal,
    currency: str,
    description: str = "",
    deadline: datetime | None = None,
    funding_model: str = Campaign.FundingModel.ALL_OR_NOTHING,
) -> Campaign:
    check_plain_text(title, field="title")
    currency = validate_currency(currency)
    goal = validate_amount(goal, currency, field="goal", maximum=MAX_GOAL)
    _check_deadline_future(deadline, timezone.now())
    if funding_model not in Campaign.FundingModel.values:
        raise InvalidInput("Unknown funding model.", code="invalid_funding_model")
    return Campaign.objects.create(
        creator=creator,
        title=title,
        slug=_slug_for(title),
        description=description,
        goal=goal,
        currency=currency,
        deadline=deadline,
        funding_model=funding_model,
    )


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    title: str | None = None,
    description: str | None = None,
    goal: Decimal | None = None,
    currency: str | None = None,
    deadline=_UNSET,
    funding_model: str | None = None,
) -> Campaign:
    """Edit a campaign. A draft is editable; once live only the words may change."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    fixed = {"goal": goal, "currency": currency, "funding_model": funding_model}
    if campaign.state == Campaign.State.LIVE:
        changed = [name for name, value in fixed.items() if value is not None and value != getattr(campaign, name)]
        if deadline is not _UNSET and deadline != campaign.deadline:
            changed.append("deadline")
        if changed:
            raise Conflict(f"{', '.join(changed)} cannot change once the campaign is live.", code="campaign_fixed")
    elif campaign.state != Campaign.State.DRAFT:
        raise Conflict("A closed campaign cannot be edited.", code="campaign_closed")
    else:
        if currency is not None:
            if campaign.rewards.exists() and validate_currency(currency) != campaign.currency:
                raise Conflict("Remove the rewards before changing the currency.", code="currency_has_rewards")
            campaign.currency = validate_currency(currency)
        if goal is not None:
            campaign.goal = validate_amount(goal, campaign.currency, field="goal", maximum=MAX_GOAL)
        if deadline is not _UNSET:
            _check_deadline_future(deadline, timezone.now())
            campaign.deadline = deadline
        if funding_model is not None:
            if funding_model not in Campaign.FundingModel.values:
                raise InvalidInput("Unknown funding model.", code="invalid_funding_model")
            campaign.funding_model = funding_model
    if title is not None:
        campaign.title = check_plain_text(title, field="title")
    if description is not None:
        campaign.description = description
    campaign.save()
    invalidate_campaign(campaign.pk)
    return campaign


@transaction.atomic
def campaign_launch(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise Conflict(f"Only a draft can be launched; this campaign is {campaign.state}.", code="not_draft")
    if campaign.goal <= 0:
        raise InvalidInput("The goal must be greater than zero.", code="invalid_goal")
    if campaign.deadline is None:
        raise InvalidInput("Set a deadline before launching.", code="invalid_deadline")
    duration = campaign.deadline - now
    low, high = settings.CAMPAIGN_MIN_DURATION, settings.CAMPAIGN_MAX_DURATION
    if not low <= duration <= high:
        raise InvalidInput(
            f"The deadline must be between {_human(low)} and {_human(high)} after launch.", code="invalid_deadline"
        )
    campaign.state = Campaign.State.LIVE
    campaign.launched_at = now
    campaign.save(update_fields=["state", "launched_at", "updated_at"])
    invalidate_campaign(campaign.pk)
    return campaign


def _human(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{seconds} seconds"


def campaign_move_totals(*, campaign_id: int, now: datetime, amount: Decimal, backers: int) -> None:
    """Shift the running totals while the campaign is open; Conflict once it is not.

    Called inside the caller's transaction; the goal is crossed exactly once, by the
    first transaction to see it (it wins the UPDATE of ``funded_at``).
    """
    moved = Campaign.objects.filter(pk=campaign_id, state=Campaign.State.LIVE, deadline__gt=now).update(
        pledged=F("pledged") + amount, backers_count=F("backers_count") + backers, updated_at=now
    )
    if not moved:
        raise Conflict("This campaign is not taking pledges any more.", code="campaign_closed")
    if Campaign.objects.filter(pk=campaign_id, funded_at__isnull=True, pledged__gte=F("goal")).update(funded_at=now):
        campaign_funded.send(sender=Campaign, campaign_id=campaign_id)


def campaign_lock(*, campaign_id: int) -> Campaign:
    """Lock the campaign row for a money move, inside the caller's transaction.

    Every transaction that moves money locks rows in one order, so none waits in a
    circle: campaign, pledge, reward tiers (by id), charge. FOR NO KEY UPDATE is the
    lock the totals UPDATE takes anyway; pledges may still reference the row meanwhile.
    """
    return Campaign.objects.select_for_update(no_key=True).get(pk=campaign_id)
