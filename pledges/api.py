"""Pledges over HTTP: one API class per operation (docs/api.md, "One class per operation")."""

from typing import cast

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.selectors import public_name
from closing.services.collection import pledge_replace_payment_method
from closing.services.late import late_pledge_confirm, pledge_place
from community.services import referral_record, referral_source
from core.api_fields import MoneyField, amount_input
from core.api_routing import MethodRoutes
from core.clients import client_address
from core.money import quantize
from core.permissions import IsBackerOrStaffReadOnly
from core.throttling import PledgeRateThrottle
from pledges.idempotency import idempotent, request_fingerprint
from pledges.models import Pledge, PledgeAddOn
from pledges.selectors import (
    Receipt,
    pledge_receipt,
    pledges_receipt_visible_to,
    pledges_refundable_by,
    pledges_visible_to,
)
from pledges.services import (
    PledgeRequest,
    pledge_cancel,
    pledge_refund,
    pledge_update,
)

ERRORS = {
    400: OpenApiResponse(description="Invalid input"),
    402: OpenApiResponse(description="Card declined"),
    409: OpenApiResponse(description="Sold out, campaign closed, or already backing"),
}


# Shared, not nested: the one PledgeAddOnOutput shape of the schema, used by several operations.
class PledgeAddOnOutputSerializer(serializers.ModelSerializer):
    add_on = serializers.IntegerField(source="add_on_id", read_only=True)
    title = serializers.CharField(source="add_on.title", read_only=True)
    unit_price = MoneyField(currency_from="pledge.campaign.currency")

    class Meta:
        model = PledgeAddOn
        fields = ["add_on", "title", "quantity", "unit_price"]


# Shared, not nested: the one AddOnLineInput shape of the schema, used by several operations.
class AddOnLineInputSerializer(serializers.Serializer):
    add_on = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=0, max_value=10_000, help_text="0 removes the add-on.")

    class Meta:
        ref_name = "PledgeAddOnInput"


def _add_on_lines_input(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=AddOnLineInputSerializer(),
        max_length=100,
        help_text="Add-ons of this campaign offered with the reward, each with a quantity up to its per-backer "
        "maximum; part of the amount.",
        **kwargs,
    )


def _add_ons_map(lines: list[dict]) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for line in lines:
        if line["add_on"] in wanted:
            raise serializers.ValidationError({"add_ons": ["Each add-on once."]})
        wanted[line["add_on"]] = line["quantity"]
    return wanted


_SHIPPING_COUNTRY_HELP = (
    "ISO 3166-1 alpha-2 code of where a physical reward ships; required for one, ignored otherwise."
)


# Shared, not nested: every pledge endpoint answers this one shape (one PledgeOutput component).
class PledgeOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency_from="campaign.currency")
    shipping_country = serializers.CharField(read_only=True)
    shipping_amount = MoneyField(currency_from="campaign.currency")
    add_ons = PledgeAddOnOutputSerializer(source="add_on_lines", many=True, read_only=True)
    currency = serializers.CharField(source="campaign.currency", read_only=True)
    backer = serializers.CharField(source="backer.username", read_only=True)
    client_secret = serializers.SerializerMethodField(
        help_text="For Stripe.js confirmCardSetup while the pledge is pending; null otherwise."
    )

    class Meta:
        model = Pledge
        fields = [
            "id",
            "campaign",
            "reward",
            "backer",
            "amount",
            "currency",
            "shipping_country",
            "shipping_amount",
            "add_ons",
            "state",
            "end_reason",
            "client_secret",
            "expires_at",
            "created_at",
            "activated_at",
            "collected_at",
        ]

    def get_client_secret(self, pledge: Pledge) -> str | None:
        return pledge.setup_client_secret if pledge.state == Pledge.State.PENDING else None


class PledgeFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=Pledge.State.choices)

    class Meta:
        model = Pledge
        fields = ["state", "campaign"]


class PledgeListApi(ListAPIView):
    """The backer's own pledges (staff: all)."""

    permission_classes = [IsAuthenticated]
    serializer_class = PledgeOutputSerializer
    filterset_class = PledgeFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Pledge.objects.none()
        return pledges_visible_to(self.request.user)


class PledgeCreateApi(GenericAPIView):
    """Pledge to a campaign."""

    permission_classes = [IsAuthenticated]
    serializer_class = PledgeOutputSerializer

    class InputSerializer(serializers.Serializer):
        campaign = serializers.IntegerField(min_value=1)
        reward = serializers.IntegerField(min_value=1, required=False, allow_null=True)
        amount = amount_input(
            help_text="The whole pledge: the reward's minimum, shipping and add-ons included, plus any extra.",
        )
        shipping_country = serializers.CharField(
            required=False, allow_blank=True, max_length=2, min_length=2, help_text=_SHIPPING_COUNTRY_HELP
        )
        add_ons = _add_on_lines_input(required=False)
        currency = serializers.CharField(
            max_length=3,
            required=False,
            help_text="Optional: when sent, it must be the campaign's currency (a guard against a stale page).",
        )
        payment_method = serializers.RegexField(
            r"^pm_[A-Za-z0-9_]+$",
            max_length=255,
            required=False,
            help_text="A Stripe PaymentMethod id; the card is then saved server-side.",
        )
        ref = serializers.CharField(
            max_length=40,
            required=False,
            help_text="Optional: the campaign link's ?ref= tag (search, category, or a creator's tag); "
            "counted in the creator's sources (docs/community.md).",
        )

        class Meta:
            ref_name = "PledgeCreateInput"  # the schema's component names predate the nesting

    def get_throttles(self):
        return [*super().get_throttles(), PledgeRateThrottle()]

    @extend_schema(
        request=InputSerializer,
        responses={201: PledgeOutputSerializer, **ERRORS},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Send the same key when retrying: the same key and body get the first answer "
                "again (kept 24 h); the same key with another body is refused with 422.",
            )
        ],
        description="`active` when the card was saved server-side; `pending` with `client_secret` "
        "when the browser must confirm it (Stripe.js confirmCardSetup, 3-D Secure). After a successful "
        "close, a campaign that takes late pledges takes them here at the late price: the card is "
        "charged at once (`collected`); a declined card answers 402 and the pledge stays `errored`, "
        "waiting for another card (`/payment-method/`).",
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return self._create(request)
        answer_status, answer = idempotent(
            user=request.user,
            key=key,
            fingerprint=request_fingerprint(request.path, request.data),
            run=lambda: self._answer(request),
        )
        return Response(answer, status=answer_status)

    def _answer(self, request) -> tuple[int, object]:
        """The response to keep for repeats: a refusal is an answer too (a 402 stays a 402)."""
        try:
            response = self._create(request)
        except Exception as error:
            response = self.handle_exception(error)
        return response.status_code, response.data

    def _create(self, request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ask = PledgeRequest(
            campaign_id=values["campaign"],
            reward_id=values.get("reward"),
            amount=values["amount"],
            shipping_country=values.get("shipping_country", ""),
            add_ons=_add_ons_map(values.get("add_ons", [])),
            currency=values.get("currency"),
            payment_method_id=values.get("payment_method"),
        )
        pledge = pledge_place(backer=request.user, ask=ask, client=client_address(request))
        if values.get("ref"):
            referral_record(pledge=pledge, source=referral_source(ref=values["ref"], referer=None, own_host=""))
        return Response(PledgeOutputSerializer(pledge).data, status=status.HTTP_201_CREATED)


class _PledgeObjectApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsBackerOrStaffReadOnly]
    serializer_class = PledgeOutputSerializer

    def get_object(self) -> Pledge:
        user = cast(User, self.request.user)  # IsAuthenticated: never anonymous here
        pledge = get_object_or_404(pledges_visible_to(user), pk=self.kwargs["pledge_id"])
        self.check_object_permissions(self.request, pledge)
        return pledge

    def respond(self, pledge: Pledge) -> Response:
        user = cast(User, self.request.user)  # IsAuthenticated
        return Response(PledgeOutputSerializer(pledges_visible_to(user).get(pk=pledge.pk)).data)


class PledgeDetailApi(_PledgeObjectApi):
    def get(self, request, pledge_id: int):
        return Response(PledgeOutputSerializer(self.get_object()).data)


class PledgeUpdateApi(_PledgeObjectApi):
    class InputSerializer(serializers.Serializer):
        reward = serializers.IntegerField(min_value=1, required=False, allow_null=True)
        amount = amount_input(
            required=False,
            help_text="The whole new pledge. Without it, what was given beyond shipping and add-ons stays "
            "and the new shipping and add-ons are added.",
        )
        shipping_country = serializers.CharField(
            required=False, allow_blank=True, max_length=2, help_text=_SHIPPING_COUNTRY_HELP
        )
        add_ons = _add_on_lines_input(required=False)  # the whole new list: add-ons not named are removed

        class Meta:
            ref_name = "PledgeUpdateInput"  # the schema's component names predate the nesting

    @extend_schema(request=InputSerializer, responses={200: PledgeOutputSerializer, **ERRORS})
    def patch(self, request, pledge_id: int):
        pledge = self.get_object()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {"amount": data.validated_data.get("amount")}
        if "reward" in data.validated_data:
            changes["reward_id"] = data.validated_data["reward"]
        if "shipping_country" in data.validated_data:
            changes["shipping_country"] = data.validated_data["shipping_country"]
        if "add_ons" in data.validated_data:
            changes["add_ons"] = _add_ons_map(data.validated_data["add_ons"])
        return self.respond(pledge_update(pledge=pledge, **changes))


class PledgeConfirmApi(_PledgeObjectApi):
    @extend_schema(
        request=None,
        responses={200: PledgeOutputSerializer, **ERRORS},
        description="After the browser confirmed the card: the pledge becomes `active` (a late pledge is "
        "charged at once: `collected`, or 402 with the pledge kept `errored`).",
    )
    def post(self, request, pledge_id: int):
        return self.respond(late_pledge_confirm(pledge=self.get_object()))


class PledgeCancelApi(_PledgeObjectApi):
    @extend_schema(request=None, responses={200: PledgeOutputSerializer, 409: ERRORS[409]})
    def post(self, request, pledge_id: int):
        return self.respond(pledge_cancel(pledge=self.get_object()))


class PledgePaymentMethodApi(_PledgeObjectApi):
    class InputSerializer(serializers.Serializer):
        payment_method = serializers.RegexField(r"^pm_[A-Za-z0-9_]+$", max_length=255)

        class Meta:
            ref_name = "PaymentMethodInput"  # the schema's component names predate the nesting

    @extend_schema(
        request=InputSerializer,
        responses={200: PledgeOutputSerializer, **ERRORS},
        description="Replace the card of an errored pledge; it is charged again at once.",
    )
    def post(self, request, pledge_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pledge = pledge_replace_payment_method(
            pledge=self.get_object(), payment_method_id=data.validated_data["payment_method"]
        )
        return self.respond(pledge)


class PledgeRefundApi(GenericAPIView):
    """Staff at any time; the campaign's creator within CREATOR_REFUND_WINDOW of collection."""

    permission_classes = [IsAuthenticated]
    serializer_class = PledgeOutputSerializer

    @extend_schema(request=None, responses={200: PledgeOutputSerializer, 403: None, 409: ERRORS[409]})
    def post(self, request, pledge_id: int):
        pledge = get_object_or_404(pledges_refundable_by(request.user), pk=pledge_id)
        pledge = pledge_refund(pledge=pledge, by=request.user)
        return Response(PledgeOutputSerializer(pledge).data)


class PledgeReceiptApi(GenericAPIView):
    """The receipt of a charged pledge: its backer's (staff with pledges.view_pledge: any); 404
    for anyone else and for a pledge not charged yet."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        class LineSerializer(serializers.Serializer):
            kind = serializers.ChoiceField(
                choices=["reward", "shipping", "add_on", "extra", "pledge"],
                help_text="What the line is: the reward's price (the late price for a late pledge), its "
                "shipping, what the backer gave on top, or a pledge without a reward.",
            )
            description = serializers.CharField(help_text="What the line is, in the reader's language.")
            amount = serializers.CharField(help_text="A decimal string with the currency's decimals.")

            class Meta:
                ref_name = "ReceiptLine"

        pledge = serializers.IntegerField(source="pledge.pk")
        campaign = serializers.IntegerField(source="pledge.campaign_id")
        campaign_title = serializers.CharField(source="pledge.campaign.title")
        creator = serializers.SerializerMethodField()
        reward = serializers.CharField(source="pledge.reward.title", allow_null=True, default=None)
        late = serializers.BooleanField(source="pledge.is_late", help_text="A late pledge, charged at once.")
        currency = serializers.CharField()
        lines = serializers.SerializerMethodField()
        total = MoneyField(help_text="The amount charged: the lines added up.")
        refunded = MoneyField()
        remaining = MoneyField(help_text="What stays charged after refunds.")
        charged_at = serializers.DateTimeField()
        refunded_at = serializers.DateTimeField(allow_null=True)
        card_last4 = serializers.CharField(help_text="The card's last four digits; empty when not known.")
        payment_intent_id = serializers.CharField()

        class Meta:
            ref_name = "PledgeReceipt"

        def get_creator(self, receipt: Receipt) -> str:
            return public_name(receipt.pledge.campaign.creator)

        @extend_schema_field(LineSerializer(many=True))
        def get_lines(self, receipt: Receipt) -> list[dict[str, str]]:
            return [
                {"kind": line.kind, "description": line.label, "amount": str(quantize(line.amount, receipt.currency))}
                for line in receipt.lines
            ]

    @extend_schema(responses={200: OutputSerializer, 404: OpenApiResponse(description="Not found or not charged")})
    def get(self, request, pledge_id: int):
        pledge = get_object_or_404(pledges_receipt_visible_to(request.user), pk=pledge_id)
        receipt = pledge_receipt(pledge)
        if receipt is None:
            raise NotFound(_("This pledge has not been charged yet: it has no receipt."))
        return Response(self.OutputSerializer(receipt).data)


class PledgesRoutes(MethodRoutes):
    """/api/pledges/ (the URL contract): one class per operation."""

    routes = {"get": PledgeListApi, "post": PledgeCreateApi}


class PledgeRoutes(MethodRoutes):
    """/api/pledges/{id}/ (the URL contract): one class per operation."""

    routes = {"get": PledgeDetailApi, "patch": PledgeUpdateApi}
