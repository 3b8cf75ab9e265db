from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from closing.webhooks import webhook_receive
from pledges.payments import InvalidWebhook, get_gateway


class StripeWebhookApi(GenericAPIView):
    """Signed Stripe events; each event id is handled once."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    @extend_schema(request=None, responses={200: None, 400: None})
    def post(self, request):
        try:
            event = get_gateway().parse_webhook(
                payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
            )
        except InvalidWebhook as error:
            return Response({"detail": f"Invalid webhook: {error}", "code": "invalid_signature"}, status=400)
        stored = webhook_receive(event=event)
        return Response({"received": True, "duplicate": stored is None})
