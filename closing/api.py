"""Stripe's webhook over HTTP: one API class, one operation (docs/api.md, "One class per operation")."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from closing.services.webhooks import webhook_receive
from pledges.payments import InvalidWebhook, ProviderUnavailable, get_gateway
from pledges.payments.ratelimit import BACKGROUND, provider_priority

# Seconds a webhook's provider calls may wait for slots and backoffs before it answers 503 (Stripe
# gives a delivery some seconds, then tries it again later).
WEBHOOK_PROVIDER_WAIT = 5.0


class StripeWebhookApi(APIView):
    """Signed Stripe events; each event id is handled once."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    class OutputSerializer(serializers.Serializer):
        # Not in the schema (its 200 says only what happened): the body is Stripe's to ignore.
        received = serializers.BooleanField()
        duplicate = serializers.BooleanField(help_text="The event id was stored before: nothing done.")

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="Stripe's signature of the body with the endpoint's signing secret.",
            )
        ],
        responses={
            200: OpenApiResponse(description="Stored (or a duplicate); handled or ignored with the reason."),
            400: OpenApiResponse(description="Bad signature, stale timestamp or not a Stripe event; not stored."),
            503: OpenApiResponse(description="The provider did not answer our question; Stripe delivers again."),
        },
    )
    def post(self, request):
        try:
            event = get_gateway().parse_webhook(
                payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
            )
        except InvalidWebhook as error:
            return Response({"detail": f"Invalid webhook: {error}", "code": "invalid_signature"}, status=400)
        try:
            # Nobody waits on a webhook but Stripe, which delivers it again: it questions the
            # provider as background work, not from the people's reserve, and gives up early.
            with provider_priority(BACKGROUND, wait=WEBHOOK_PROVIDER_WAIT):
                stored = webhook_receive(event=event)
        except ProviderUnavailable:
            # The event is stored; the provider delivers it again and it is handled then.
            return Response({"detail": "The payment provider is not answering.", "code": "unavailable"}, status=503)
        return Response(self.OutputSerializer({"received": True, "duplicate": stored is None}).data)
