"""Reads of surveys and fulfilment: who is asked what, who answered, who may see addresses."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet

from campaigns.models import Campaign
from core.permissions import staff_may
from fulfilment.models import Fulfilment, Survey, SurveyQuestion, SurveyResponse
from pledges.models import Pledge

VIEW_SHIPPING_ADDRESS = "fulfilment.view_shipping_address"
VIEW_RESPONSES = "fulfilment.view_surveyresponse"


def pledge_needs_address(pledge: Pledge) -> bool:
    """Whether the pledge's reward ships a physical thing, so its backer is asked where to.

    The one place that decides it: a tier that ships (rewards: shipping rules by destination).
    """
    tier = pledge.reward
    return tier is not None and tier.ships


def prefill_country(pledge: Pledge) -> str:
    """The destination the backer chose at checkout, where the pledge knows one."""
    return str(getattr(pledge, "shipping_country", "") or "").upper()


def survey_pledges(campaign_id: int) -> QuerySet[Pledge]:
    """The pledges a survey goes to and fulfilment tracks: the collected ones."""
    return Pledge.objects.filter(campaign_id=campaign_id, state=Pledge.State.COLLECTED)


def survey_non_responders(survey: Survey) -> QuerySet[Pledge]:
    return survey_pledges(survey.campaign_id).filter(survey_response__isnull=True)


def survey_questions_for(survey: Survey, pledge: Pledge) -> list[SurveyQuestion]:
    """The questions for every backer, then those of the pledge's tier, in the creator's order."""
    return survey_questions_for_tier(survey, pledge.reward_id)


def survey_questions_for_tier(survey: Survey, tier_id: int | None) -> list[SurveyQuestion]:
    """What a backer of that tier (None: no reward) is asked; the creator's preview shows it."""
    tier = Q(tier__isnull=True) | Q(tier_id=tier_id) if tier_id else Q(tier__isnull=True)
    return list(survey.questions.filter(tier).order_by("position"))


def survey_of_campaign(campaign: Campaign) -> Survey | None:
    return Survey.objects.filter(campaign=campaign).prefetch_related("questions").first()


def may_view_survey(user: User | AnonymousUser, campaign: Campaign) -> bool:
    return campaign.creator_id == user.pk or staff_may(user, VIEW_RESPONSES)


def may_view_addresses(user: User | AnonymousUser, campaign: Campaign) -> bool:
    """Shipping addresses: the campaign's creator, and staff with the permission of their own."""
    return campaign.creator_id == user.pk or staff_may(user, VIEW_SHIPPING_ADDRESS)


def survey_response_rates(survey: Survey) -> list[dict[str, Any]]:
    """Per tier (None: no reward): backers asked, how many answered, and the share in whole percent."""
    rows = (
        survey_pledges(survey.campaign_id)
        .values("reward_id", "reward__title")
        .annotate(backers=Count("pk"), answered=Count("survey_response"))
        .order_by("reward__minimum", "reward_id")
    )
    return [
        {
            "tier": row["reward_id"],
            "title": row["reward__title"] or "",
            "backers": row["backers"],
            "answered": row["answered"],
            "percent": row["answered"] * 100 // row["backers"] if row["backers"] else 0,
        }
        for row in rows
    ]


def survey_responses(survey: Survey) -> QuerySet[SurveyResponse]:
    return survey.responses.select_related("pledge__backer", "pledge__reward").order_by("pledge_id")


def fulfilment_of(pledge: Pledge) -> Fulfilment | None:
    return Fulfilment.objects.filter(pledge=pledge).first()


def fulfilment_status(pledge: Pledge) -> str:
    fulfilment = fulfilment_of(pledge)
    return fulfilment.status if fulfilment is not None else Fulfilment.Status.UNFULFILLED


def backer_numbers(campaign_id: int) -> dict[int, int]:
    """Backer number (the backer report's) → pledge id: each pledge's place in pledge order."""
    ids = Pledge.objects.filter(campaign_id=campaign_id).order_by("created_at", "pk").values_list("pk", flat=True)
    return {number: pledge_id for number, pledge_id in enumerate(ids.iterator(chunk_size=5000), start=1)}
