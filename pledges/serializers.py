from rest_framework import serializers

from core.api_fields import MoneyField, amount_input
from pledges.models import Pledge


class PledgeOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency_from="campaign.currency")
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


class PledgeCreateInputSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1)
    reward = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    amount = amount_input()
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


class PledgeUpdateInputSerializer(serializers.Serializer):
    reward = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    amount = amount_input(required=False)


class PaymentMethodInputSerializer(serializers.Serializer):
    payment_method = serializers.RegexField(r"^pm_[A-Za-z0-9_]+$", max_length=255)
