"""Test data, built through the real services wherever a service exists."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_launch
from rewards.services import reward_create

CARD_OK = "4242424242424242"
CARD_DECLINES_ON_CHARGE = "4000000000000341"
CARD_DECLINED_AT_SETUP = "4000000000000002"
CARD_3DS = "4000002500003155"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


def draft_campaign(*, creator=None, goal=Decimal("1000.00"), currency="USD", days=30, **kwargs) -> Campaign:
    return campaign_create(
        creator=creator or UserFactory(),
        title=kwargs.pop("title", "The new RECORD, ART BOOK, and TOUR"),
        goal=goal,
        currency=currency,
        deadline=timezone.now() + timedelta(days=days),
        **kwargs,
    )


def live_campaign(*, rewards=(), **kwargs) -> Campaign:
    campaign = draft_campaign(**kwargs)
    for reward in rewards:
        reward_create(campaign=campaign, **reward)
    return campaign_launch(campaign=campaign)


def payment_method(card_number: str = CARD_OK) -> str:
    from pledges.payments import get_gateway
    from tests.support.payments import card_payment_method

    return card_payment_method(get_gateway(), card_number)


# What the platform's support staff hold; a view-only staff member holds only the view_ ones.
STAFF_PERMISSIONS = (
    "campaigns.view_campaign",
    "campaigns.change_campaign",
    "pledges.view_pledge",
    "pledges.change_pledge",
    "pledges.refund_pledge",
    "reports.view_exportjob",
    "reports.export_backer_emails",
    "reports.export_platform_report",
    "updates.view_campaignupdate",
)


def staff_user(*, permissions=STAFF_PERMISSIONS, **kwargs):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True, **kwargs)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return get_user_model().objects.get(pk=user.pk)  # a fresh instance: no stale permission cache
