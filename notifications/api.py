"""Reminders over HTTP (one API class per operation, docs/api.md) and the one-click unsubscribe page."""

from django.core import signing
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.selectors import user_chosen_language
from accounts.services import unsubscribe
from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from core.api_routing import MethodRoutes
from core.unsubscribe import read_unsubscribe_token
from notifications.services import reminder_remove, reminder_set


# Shared, not nested: asking for the reminder and cancelling it answer the same shape.
class ReminderOutputSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    reminded = serializers.BooleanField()

    class Meta:
        ref_name = "Reminder"  # the schema's component name predates the rename


def _campaign(request, campaign_id: int) -> Campaign:
    return get_object_or_404(campaigns_visible_to(request.user), pk=campaign_id)


class ReminderSetApi(GenericAPIView):
    """Ask for an e-mail 48 hours before the campaign ends."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReminderOutputSerializer

    @extend_schema(request=None, responses=ReminderOutputSerializer)
    def post(self, request, campaign_id: int):
        reminder_set(user=request.user, campaign=_campaign(request, campaign_id))
        return Response(ReminderOutputSerializer({"campaign": campaign_id, "reminded": True}).data)


class ReminderRemoveApi(GenericAPIView):
    """No e-mail 48 hours before the campaign ends after all."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReminderOutputSerializer

    @extend_schema(request=None, responses={200: ReminderOutputSerializer})
    def delete(self, request, campaign_id: int):
        reminder_remove(user=request.user, campaign=_campaign(request, campaign_id))
        return Response(ReminderOutputSerializer({"campaign": campaign_id, "reminded": False}).data)


class ReminderRoutes(MethodRoutes):
    """/api/campaigns/{id}/remind/ (the URL contract): one class per operation."""

    routes = {"post": ReminderSetApi, "delete": ReminderRemoveApi}


@csrf_exempt  # the signed token is the credential; mail clients POST here for one-click (RFC 8058)
def unsubscribe_view(request, token: str):
    """GET shows a confirmation button (link scanners only GET); POST unsubscribes."""
    try:
        user_id, campaign_id = read_unsubscribe_token(token)
    except signing.SignatureExpired:
        # Too old to speak for its reader: the e-mail settings (after logging in) do the same.
        return render(request, "notifications/unsubscribe.html", {"expired": True}, status=410)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    campaign = Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None
    # The page a link in an e-mail opens speaks the e-mail's language, the recipient's.
    language = user_chosen_language(user_id)
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
    done = request.method == "POST"
    if done:
        unsubscribe(user_id=user_id, campaign_id=campaign_id)
    return render(request, "notifications/unsubscribe.html", {"campaign": campaign, "done": done})
