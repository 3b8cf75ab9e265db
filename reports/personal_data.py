"""Everything Pledgeboard holds about one person, as one JSON document (their "download my data").

Reports is above every app that holds personal data, so it reads them all here; an app added
later adds its section to ``personal_data`` (as rewards' destinations and add-ons, fulfilment's
survey answers and shipments, community's comments, reports and follows, and payouts' account
did). Nothing secret is in it: no password hash, no token value or hash, no card details (the
payment provider keeps those; we hold only its ids). Amounts are decimal strings, times ISO 8601 in UTC.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.models import ApiToken, PaymentCustomer, PendingSignup, Profile, Unsubscription
from campaigns.models import Campaign
from community.models import Comment, CreatorFollow, LaunchFollow, Report
from core.money import quantize
from fulfilment.models import Fulfilment, SurveyResponse
from notifications.models import Notification, Reminder
from payouts.models import PayoutAccount
from pledges.models import Charge, Pledge
from updates.models import UpdateDelivery

FORMAT = "pledgeboard-personal-data/1"


def _money(amount, currency: str) -> str | None:
    return None if amount is None else str(quantize(amount, currency))


def _profile(user) -> dict[str, Any]:
    profile = Profile.objects.filter(user=user).first()
    customer = PaymentCustomer.objects.filter(user=user).first()
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": profile.display_name if profile else "",
        "bio": profile.bio if profile else "",
        "website": profile.website if profile else "",
        "location": profile.location if profile else "",
        "avatar": profile.avatar.name if profile and profile.avatar else "",
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": profile.language if profile else "",
        "time_zone": profile.time_zone if profile else "",
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "is_staff": user.is_staff,
        "payment_provider_customer_id": customer.stripe_customer_id if customer else None,
    }


def _pledges(user) -> list[dict[str, Any]]:
    pledges = (
        Pledge.objects.filter(backer=user)
        .select_related("campaign", "reward")
        .prefetch_related("add_on_lines__add_on")
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": pledge.pk,
            "campaign": {"id": pledge.campaign_id, "title": pledge.campaign.title, "slug": pledge.campaign.slug},
            "reward": {"id": pledge.reward_id, "title": pledge.reward.title} if pledge.reward else None,
            "amount": _money(pledge.amount, pledge.campaign.currency),
            "currency": pledge.campaign.currency,
            "shipping_country": str(pledge.shipping_country),
            "shipping_amount": _money(pledge.shipping_amount, pledge.campaign.currency),
            "add_ons": [
                {
                    "title": line.add_on.title,
                    "quantity": line.quantity,
                    "unit_price": _money(line.unit_price, pledge.campaign.currency),
                }
                for line in pledge.add_on_lines.all()
            ],
            "late": pledge.is_late,
            "state": pledge.state,
            "end_reason": pledge.end_reason,
            "payment_method_id": pledge.payment_method_id,
            "created_at": pledge.created_at,
            "activated_at": pledge.activated_at,
            "ended_at": pledge.ended_at,
            "collected_at": pledge.collected_at,
            "refunded_at": pledge.refunded_at,
        }
        for pledge in pledges
    ]


def _charges(user) -> list[dict[str, Any]]:
    charges = Charge.objects.filter(pledge__backer=user).order_by("created_at", "pk")
    return [
        {
            "id": charge.pk,
            "pledge": charge.pledge_id,
            "attempt": charge.attempt,
            "amount": _money(charge.amount, charge.currency),
            "currency": charge.currency,
            "state": charge.state,
            "payment_intent_id": charge.payment_intent_id,
            "failure_code": charge.failure_code,
            "failure_message": charge.failure_message,
            "created_at": charge.created_at,
        }
        for charge in charges
    ]


def _refunds(user) -> list[dict[str, Any]]:
    refunded = Charge.objects.filter(pledge__backer=user, refunded_amount__gt=0).order_by("refunded_at", "pk")
    return [
        {
            "charge": charge.pk,
            "pledge": charge.pledge_id,
            "amount": _money(charge.refunded_amount, charge.currency),
            "currency": charge.currency,
            "refund_id": charge.refund_id,
            "refunded_at": charge.refunded_at,
        }
        for charge in refunded
    ]


def _notifications(user) -> list[dict[str, Any]]:
    notes = Notification.objects.filter(recipient=user).order_by("created_at", "pk")
    return [
        {"kind": note.kind, "about": note.params, "created_at": note.created_at, "sent_at": note.sent_at}
        for note in notes
    ]


def _update_emails(user) -> list[dict[str, Any]]:
    deliveries = UpdateDelivery.objects.filter(recipient=user).select_related("update").order_by("pk")
    return [
        {
            "campaign": delivery.update.campaign_id,
            "update": delivery.update.number,
            "title": delivery.update.title,
            "sent_at": delivery.sent_at,
        }
        for delivery in deliveries
    ]


def _opt_outs(user) -> list[dict[str, Any]]:
    opt_outs = Unsubscription.objects.filter(user=user).order_by("created_at", "pk")
    return [
        {
            "what": "campaign updates" if opt_out.campaign_id else "platform notifications",
            "campaign": opt_out.campaign_id,
            "created_at": opt_out.created_at,
        }
        for opt_out in opt_outs
    ]


def _reminders(user) -> list[dict[str, Any]]:
    reminders = Reminder.objects.filter(user=user).order_by("created_at", "pk")
    return [{"campaign": reminder.campaign_id, "created_at": reminder.created_at} for reminder in reminders]


def _tokens(user) -> list[dict[str, Any]]:
    tokens = ApiToken.objects.filter(user=user).order_by("created_at", "pk")
    return [
        {
            "prefix": token.prefix,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "expires_at": token.expires_at,
        }
        for token in tokens
    ]


def _campaigns(user) -> list[dict[str, Any]]:
    campaigns = Campaign.objects.filter(creator=user).order_by("created_at", "pk")
    return [
        {
            "id": campaign.pk,
            "slug": campaign.slug,
            "title": campaign.title,
            "description": campaign.description,
            "state": campaign.state,
            "funding_model": campaign.funding_model,
            "goal": _money(campaign.goal, campaign.currency),
            "currency": campaign.currency,
            "pledged": _money(campaign.pledged, campaign.currency),
            "backers_count": campaign.backers_count,
            "deadline": campaign.deadline,
            "launched_at": campaign.launched_at,
            "created_at": campaign.created_at,
        }
        for campaign in campaigns
    ]


def _survey_answers(user) -> list[dict[str, Any]]:
    responses = SurveyResponse.objects.filter(pledge__backer=user).select_related("survey").order_by("pk")
    return [
        {
            "pledge": response.pledge_id,
            "campaign": response.survey.campaign_id,
            "answers": response.answers,
            "shipping_address": {
                "name": response.name,
                "address1": response.address1,
                "address2": response.address2,
                "city": response.city,
                "state": response.state,
                "postal_code": response.postal_code,
                "country": response.country,
                "phone": response.phone,
            },
            "submitted_at": response.submitted_at,
            "updated_at": response.updated_at,
        }
        for response in responses
    ]


def _shipments(user) -> list[dict[str, Any]]:
    shipments = Fulfilment.objects.filter(pledge__backer=user).order_by("pk")
    return [
        {
            "pledge": shipment.pledge_id,
            "status": shipment.status,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": shipment.tracking_url,
            "shipped_at": shipment.shipped_at,
            "delivered_at": shipment.delivered_at,
        }
        for shipment in shipments
    ]


def _comments(user) -> list[dict[str, Any]]:
    comments = Comment.objects.filter(author=user).select_related("update").order_by("created_at", "pk")
    return [
        {
            "id": comment.pk,
            "campaign": comment.campaign_id,
            "update": comment.update.number if comment.update else None,
            "reply_to": comment.parent_id,
            "body": comment.body,
            "hidden": comment.hidden_at is not None,
            "created_at": comment.created_at,
        }
        for comment in comments
    ]


def _reports(user) -> list[dict[str, Any]]:
    reports = Report.objects.filter(reporter=user).order_by("created_at", "pk")
    return [
        {
            "campaign": report.campaign_id,
            "comment": report.comment_id,
            "reason": report.reason,
            "text": report.text,
            "created_at": report.created_at,
        }
        for report in reports
    ]


def _follows(user) -> dict[str, list[dict[str, Any]]]:
    launches = LaunchFollow.objects.filter(user=user).order_by("created_at", "pk")
    creators = CreatorFollow.objects.filter(user=user).select_related("creator").order_by("created_at", "pk")
    return {
        "launches": [{"campaign": follow.campaign_id, "created_at": follow.created_at} for follow in launches],
        "creators": [
            {"creator": follow.creator.get_username(), "created_at": follow.created_at} for follow in creators
        ],
    }


def _payout_account(user) -> dict[str, Any] | None:
    account = PayoutAccount.objects.filter(creator=user).first()
    if account is None:
        return None
    return {
        "payment_provider_account_id": account.stripe_account_id,
        "verified_name": account.verified_name,
        "payouts_enabled": account.payouts_enabled,
        "created_at": account.created_at,
    }


def _signups(user) -> list[dict[str, Any]]:
    """Sign-ups with the user's address still waiting for confirmation (someone's, maybe theirs)."""
    if not user.email:
        return []
    waiting = PendingSignup.objects.filter(email__iexact=user.email).order_by("created_at", "pk")
    return [{"username": signup.username, "created_at": signup.created_at} for signup in waiting]


def personal_data(user) -> dict[str, Any]:
    """The document; ``json.dumps(..., cls=DjangoJSONEncoder)`` writes it."""
    return {
        "format": FORMAT,
        "exported_at": timezone.now(),
        "profile": _profile(user),
        "pledges": _pledges(user),
        "charges": _charges(user),
        "refunds": _refunds(user),
        "notifications": _notifications(user),
        "update_emails": _update_emails(user),
        "opt_outs": _opt_outs(user),
        "reminders": _reminders(user),
        "api_tokens": _tokens(user),
        "campaigns": _campaigns(user),
        "payout_account": _payout_account(user),
        "survey_answers": _survey_answers(user),
        "shipments": _shipments(user),
        "comments": _comments(user),
        "reports_filed": _reports(user),
        "follows": _follows(user),
        "pending_signups_for_this_address": _signups(user),
    }
