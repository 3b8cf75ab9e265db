from rest_framework import serializers

from core.api_fields import MoneyField, amount_input
from rewards.models import RewardTier


class RewardOutputSerializer(serializers.ModelSerializer):
    minimum = MoneyField(currency_from="campaign.currency")
    shipping = MoneyField(currency_from="campaign.currency")
    remaining = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = RewardTier
        fields = [
            "id",
            "title",
            "description",
            "minimum",
            "limit",
            "claimed",
            "remaining",
            "estimated_delivery",
            "shipping",
        ]


class RewardInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    minimum = amount_input()
    limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10_000_000)
    estimated_delivery = serializers.DateField(required=False, allow_null=True)
    shipping = amount_input(required=False, min_value=0)
