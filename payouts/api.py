"""A campaign's statement through the API: its creator, and staff who may view payouts."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from core.errors import NotAllowed
from core.money import quantize
from core.permissions import IsCreatorOrStaff, staff_may
from payouts.selectors import campaign_statement
from payouts.services import campaign_payouts_hold, campaign_payouts_release


class IsCreatorOrStaffWhoViewsPayouts(IsCreatorOrStaff):
    message = "Only the campaign's creator or staff may read its statement."
    staff_permission = "payouts.view_payout"


class CampaignStatementApi(GenericAPIView):
    """Gross, refunds, fees, reserve, net and transfers of a campaign: every figure a sum of its
    ledger, as decimal strings in the campaign's currency."""

    permission_classes = [IsAuthenticated, IsCreatorOrStaffWhoViewsPayouts]

    class OutputSerializer(serializers.Serializer):
        class TransferSerializer(serializers.Serializer):
            id = serializers.IntegerField()
            kind = serializers.CharField()
            amount = serializers.CharField()
            state = serializers.CharField()
            hold_reason = serializers.CharField()
            provider_id = serializers.CharField()
            created_at = serializers.DateTimeField()
            sent_at = serializers.DateTimeField(allow_null=True)

            class Meta:
                ref_name = "Transfer"

        campaign = serializers.IntegerField()
        currency = serializers.CharField()
        gross = serializers.CharField()
        refunded = serializers.CharField()
        platform_fee = serializers.CharField()
        processing_fees = serializers.CharField()
        reserve = serializers.CharField()
        net = serializers.CharField()
        transferred = serializers.CharField()
        balance = serializers.CharField(help_text="net - transferred: still owed (negative: owed by the creator)")
        payout_due_at = serializers.DateTimeField(allow_null=True)
        held = serializers.CharField(help_text="Staff's reason when they hold the campaign's payouts, else empty.")
        transfers = TransferSerializer(many=True)

        class Meta:
            ref_name = "Statement"

    serializer_class = OutputSerializer

    @extend_schema(
        responses={
            200: OutputSerializer,
            403: OpenApiResponse(description="Neither the campaign's creator nor staff who may view payouts."),
        }
    )
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(campaigns_visible_to(request.user), pk=campaign_id)
        self.check_object_permissions(request, campaign)
        s = campaign_statement(campaign=campaign)

        def money(value):
            return str(quantize(value, s.currency))

        body = {
            "campaign": campaign.pk,
            "currency": s.currency,
            **{
                name: money(getattr(s, name))
                for name in (
                    "gross",
                    "refunded",
                    "platform_fee",
                    "processing_fees",
                    "reserve",
                    "net",
                    "transferred",
                    "balance",
                )
            },
            "payout_due_at": s.payout_due_at,
            "held": s.held,
            "transfers": [
                {
                    "id": p.pk,
                    "kind": p.kind,
                    "amount": money(p.amount),
                    "state": p.state,
                    "hold_reason": p.hold_reason,
                    "provider_id": p.provider_id,
                    "created_at": p.created_at,
                    "sent_at": p.sent_at,
                }
                for p in s.transfers
            ],
        }
        return Response(self.OutputSerializer(body).data)


def _campaign_staff_may_hold(request, campaign_id: int) -> Campaign:
    """The campaign, for staff with ``payouts.hold_payout`` (hold and release share the check)."""
    if not staff_may(request.user, "payouts.hold_payout"):
        raise NotAllowed(_("Only staff allowed to hold payouts may do that."))
    return get_object_or_404(Campaign, pk=campaign_id)


class CampaignPayoutHoldApi(GenericAPIView):
    """Staff (``payouts.hold_payout``) hold a campaign's transfers with a reason."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

        class Meta:
            ref_name = "HoldInput"

    serializer_class = InputSerializer

    @extend_schema(request=InputSerializer, responses={201: None})
    def post(self, request, campaign_id: int):
        campaign = _campaign_staff_may_hold(request, campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = campaign_payouts_hold(campaign=campaign, by=request.user, reason=data.validated_data["reason"])
        return Response({"campaign": campaign.pk, "reason": hold.reason, "held_at": hold.held_at}, status=201)


class CampaignPayoutReleaseApi(GenericAPIView):
    """Staff lift the hold (and retry a payout the provider refused, once its cause is gone)."""

    permission_classes = [IsAuthenticated]
    serializer_class = None

    @extend_schema(request=None, responses={200: None})
    def post(self, request, campaign_id: int):
        campaign = _campaign_staff_may_hold(request, campaign_id)
        released = campaign_payouts_release(campaign=campaign, by=request.user)
        return Response({"campaign": campaign.pk, "released": len(released)})
