"""The suite's test data, in one place (factory_boy).

Two kinds of factory:

- built through the real services, wherever the flow matters: ``DraftCampaignFactory``
  (campaign_create), ``LiveCampaignFactory`` (+ reward_create, campaign_launch),
  ``RewardTierFactory`` (reward_create), ``PledgeFactory`` (pledge_create: with a card
  saved at the provider it is active, with ``card=None`` pending), ``CollectedPledgeFactory``
  (its campaign closed at the deadline and the pledge charged by the collection service);
- rows written straight to the tables, for tests of reads that only need data:
  ``PledgeRowFactory``, ``ChargeRowFactory`` and ``bulk_backers`` (no provider, and the
  campaign's running totals are left as they were).

``ended`` and ``closed`` move a campaign past its deadline (and close it).
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_launch
from pledges.models import Charge, Pledge
from pledges.services import PledgeRequest, pledge_create
from rewards.models import RewardTier
from rewards.services import reward_create
from tests.support.payments import (
    CARD_DECLINES_AT_SETUP,
    CARD_DECLINES_ON_CHARGE,
    CARD_REQUIRES_3DS,
    CARD_SUCCEEDS,
    card_payment_method,
)

__all__ = [
    "CARD_DECLINES_AT_SETUP",
    "CARD_DECLINES_ON_CHARGE",
    "CARD_REQUIRES_3DS",
    "CARD_SUCCEEDS",
    "STAFF_PERMISSIONS",
    "ChargeRowFactory",
    "CollectedPledgeFactory",
    "DraftCampaignFactory",
    "LiveCampaignFactory",
    "PledgeFactory",
    "PledgeRowFactory",
    "RewardTierFactory",
    "StaffFactory",
    "UserFactory",
    "bulk_backers",
    "closed",
    "ended",
    "payment_method",
]

# What the platform's support staff hold; a view-only staff member holds only the view_ ones.
STAFF_PERMISSIONS = (
    "campaigns.view_campaign",
    "campaigns.change_campaign",
    "pledges.view_pledge",
    "pledges.change_pledge",
    "pledges.refund_pledge",
    "payouts.view_payout",
    "reports.view_exportjob",
    "reports.export_backer_emails",
    "reports.export_platform_report",
    "updates.view_campaignupdate",
    "fulfilment.view_surveyresponse",
)


def payment_method(card_number: str = CARD_SUCCEEDS) -> str:
    """A PaymentMethod at the provider for a test card, as Stripe.js makes it in the browser."""
    from pledges.payments import get_gateway

    return card_payment_method(get_gateway(), card_number)


# --- people ---------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    """A staff member holding ``permissions`` (the support staff's by default; ``()`` for none)."""

    class Meta:
        skip_postgeneration_save = True  # permissions are rows of their own: the user is not saved again

    is_staff = True

    @factory.post_generation
    def permissions(user, create, extracted, **kwargs):
        names = STAFF_PERMISSIONS if extracted is None else extracted
        for name in names:
            app_label, codename = name.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
            user.__dict__.pop(cache, None)  # what was granted counts from the next check on


# --- campaigns and tiers ---------------------------------------------------------------------


class DraftCampaignFactory(factory.Factory):
    """A draft, through campaign_create; ``days`` to its deadline (30)."""

    class Meta:
        model = Campaign

    class Params:
        days = 30

    creator = factory.SubFactory(UserFactory)
    title = "The new RECORD, ART BOOK, and TOUR"
    goal = Decimal("1000.00")
    currency = "USD"
    deadline = factory.LazyAttribute(lambda o: timezone.now() + timedelta(days=o.days))

    @classmethod
    def _create(cls, model_class, **kwargs) -> Campaign:
        return campaign_create(**kwargs)


class LiveCampaignFactory(DraftCampaignFactory):
    """A launched campaign, with ``rewards`` (dicts of reward_create's arguments) added first."""

    rewards = ()

    @classmethod
    def _create(cls, model_class, *, rewards, **kwargs) -> Campaign:
        campaign = campaign_create(**kwargs)
        for reward in rewards:
            reward_create(campaign=campaign, **reward)
        return campaign_launch(campaign=campaign)


class RewardTierFactory(factory.Factory):
    """A tier, through reward_create (of a draft unless given a campaign)."""

    class Meta:
        model = RewardTier

    campaign = factory.SubFactory(DraftCampaignFactory)
    title = factory.Sequence(lambda n: f"Tier {n}")
    minimum = Decimal("10.00")

    @classmethod
    def _create(cls, model_class, **kwargs) -> RewardTier:
        return reward_create(**kwargs)


def ended(campaign: Campaign) -> Campaign:
    """Time passes: the deadline is behind us (a worker process runs on the real clock)."""
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    campaign.refresh_from_db()
    return campaign


def closed(campaign: Campaign) -> Campaign:
    """Past its deadline and closed by campaign_close (its collection is not run: that task is
    enqueued on commit, and a test's transaction never commits)."""
    from closing.services import campaign_close

    ended(campaign)
    campaign_close(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


# --- pledges and charges ---------------------------------------------------------------------


def a_destination(reward) -> str:
    """Where a test pledge of ``reward`` (a tier or its id) ships unless a test says: its first
    rule's country, or a country of its first rule's region; empty for a digital tier."""
    from rewards.models import RewardTier
    from rewards.regions import COUNTRIES, Region

    tier = reward if isinstance(reward, RewardTier) else RewardTier.objects.get(pk=reward)
    rule = tier.shipping_rules.order_by("id").first() if tier.ships else None
    if rule is None:
        return ""
    if rule.country:
        return str(rule.country)
    return "US" if rule.region == Region.WORLD else sorted(COUNTRIES[rule.region])[0]


class PledgeFactory(factory.Factory):
    """A pledge through pledge_create: ``card`` is saved at the provider first (the pledge is
    active), ``card=None`` leaves it pending. ``reward`` is a tier or its id; other keyword
    arguments (``now``, ``currency``) go to pledge_create."""

    class Meta:
        model = Pledge

    campaign = factory.SubFactory(LiveCampaignFactory)
    backer = factory.SubFactory(UserFactory)
    amount = Decimal("30.00")
    reward = None
    card = CARD_SUCCEEDS

    @classmethod
    def _create(cls, model_class, *, campaign, backer, amount, reward, card, **kwargs) -> Pledge:
        if reward is not None and "shipping_country" not in kwargs:
            kwargs["shipping_country"] = a_destination(reward)
        client, now = kwargs.pop("client", ""), kwargs.pop("now", None)
        ask = PledgeRequest(
            campaign_id=campaign.pk,
            amount=Decimal(amount),
            reward_id=getattr(reward, "pk", reward),
            payment_method_id=payment_method(card) if card else None,
            **kwargs,
        )
        return pledge_create(backer=backer, ask=ask, client=client, now=now)


class CollectedPledgeFactory(PledgeFactory):
    """A collected pledge: it meets its campaign's goal, the campaign is closed at its deadline
    and the collection service charges the pledge at the provider."""

    campaign = factory.SubFactory(LiveCampaignFactory, goal=Decimal("10.00"))
    amount = Decimal("40.00")

    @classmethod
    def _create(cls, model_class, **kwargs) -> Pledge:
        from closing.services import pledge_collect

        pledge = super()._create(model_class, **kwargs)
        closed(pledge.campaign)
        pledge_collect(pledge_id=pledge.pk)
        return Pledge.objects.get(pk=pledge.pk)


class PledgeRowFactory(factory.django.DjangoModelFactory):
    """An active pledge row, written as it is (nothing at the provider, no running totals)."""

    class Meta:
        model = Pledge

    campaign = factory.SubFactory(LiveCampaignFactory)
    backer = factory.SubFactory(UserFactory)
    amount = Decimal("10.00")
    state = Pledge.State.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)


class ChargeRowFactory(factory.django.DjangoModelFactory):
    """A charge row of a pledge: its first attempt, processing, for the pledge's amount."""

    class Meta:
        model = Charge

    pledge = factory.SubFactory(PledgeRowFactory)
    attempt = 1
    idempotency_key = factory.LazyAttribute(lambda c: f"pledge:{c.pledge.pk}:charge:{c.attempt}")
    amount = factory.LazyAttribute(lambda c: c.pledge.amount)
    currency = factory.LazyAttribute(lambda c: c.pledge.campaign.currency)


def bulk_backers(campaign: Campaign, count: int, prefix: str) -> list:
    """``count`` users, each with an active pledge row of 10 to the campaign, in two INSERTs."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com") for i in range(count)]
    )
    Pledge.objects.bulk_create(
        [PledgeRowFactory.build(backer=user, campaign=campaign, amount=Decimal(10)) for user in users]
    )
    return users


# --- two-factor sign-in ----------------------------------------------------------------------


def enrol_mfa(user) -> bytes:
    """Two-factor sign-in for a test user, as if they had set it up: their TOTP secret (for
    ``totp_code``)."""
    from accounts.mfa import mfa_enrol_unattended

    return mfa_enrol_unattended(user=user).bin_key


def totp_code(secret: bytes, *, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` now (or at the Unix time ``at``)."""
    import time

    from django_otp.oath import TOTP

    clock = TOTP(secret, step=30, digits=6)
    clock.time = time.time() if at is None else at
    return f"{clock.token():06d}"
