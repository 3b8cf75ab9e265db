"""Campaign use cases: every write to a campaign goes through here, in a transaction."""

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from campaigns.models import Campaign
from campaigns.money import MAX_GOAL, validate_amount, validate_currency
from config.errors import Conflict, InvalidInput
from config.queue import enqueue_on_commit

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
        campaign.title = title
    if description is not None:
        campaign.description = description
    campaign.save()
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
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """Cancel a draft or live campaign; every pledge is released and no card is charged."""
    from pledges.services import pledges_release_for_campaign

    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.LIVE):
        raise Conflict(f"A {campaign.state} campaign cannot be canceled.", code="campaign_closed")
    campaign.state = Campaign.State.CANCELED
    campaign.canceled_at = now
    campaign.save(update_fields=["state", "canceled_at", "updated_at"])
    pledges_release_for_campaign(campaign=campaign, now=now)
    return campaign


def _human(delta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{seconds} seconds"


def campaigns_due_for_close(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(state=Campaign.State.LIVE, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)
    )


def campaign_reached_its_goal(campaign: Campaign) -> bool:
    if campaign.funding_model == Campaign.FundingModel.FLEXIBLE:
        return campaign.pledged > 0
    return campaign.pledged >= campaign.goal


@transaction.atomic
def campaign_close(*, campaign_id: int, now: datetime | None = None) -> Campaign | None:
    """Close a live campaign past its deadline, once: successful (collection starts) or failed.

    The row lock makes a second sweep, or a second worker, wait and then find the
    campaign closed already; it returns None and changes nothing.
    """
    from pledges.services import pledges_release_for_campaign, pledges_release_unconfirmed

    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None or campaign.state != Campaign.State.LIVE or campaign.deadline > now:
        return None
    campaign.closed_at = now
    # A pledge whose card was never confirmed cannot be charged: it lapses either way.
    pledges_release_unconfirmed(campaign=campaign, now=now)
    if campaign_reached_its_goal(campaign):
        campaign.state = Campaign.State.SUCCESSFUL
        from pledges.tasks import collect_campaign

        enqueue_on_commit(collect_campaign, campaign.pk)
    else:
        campaign.state = Campaign.State.FAILED
        pledges_release_for_campaign(campaign=campaign, now=now)
    campaign.save(update_fields=["state", "closed_at", "updated_at"])
    from notifications.services import CAMPAIGN_FAILED, CAMPAIGN_SUCCESSFUL, notify_campaign_later

    successful = campaign.state == Campaign.State.SUCCESSFUL
    notify_campaign_later(campaign.pk, CAMPAIGN_SUCCESSFUL if successful else CAMPAIGN_FAILED)
    return campaign


@transaction.atomic
def campaign_close_now(*, campaign_id: int, now: datetime | None = None) -> Campaign | None:
    """Operators: end a live campaign at once, as if its deadline were now."""
    now = now or timezone.now()
    Campaign.objects.filter(pk=campaign_id, state=Campaign.State.LIVE, deadline__gt=now).update(deadline=now)
    return campaign_close(campaign_id=campaign_id, now=now)
