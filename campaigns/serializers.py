from rest_framework import serializers

from campaigns.models import Campaign
from core.api_fields import MoneyField, amount_input
from rewards.serializers import RewardOutputSerializer


class ImagePathField(serializers.ImageField):
    """The picture's path on this site, whatever the request: the detail is cached for every host."""

    def to_representation(self, value):
        return value.url if value else None


class CampaignOutputSerializer(serializers.ModelSerializer):
    creator = serializers.CharField(source="creator.username", read_only=True)
    goal = MoneyField()
    pledged = MoneyField()
    percent_funded = serializers.IntegerField(read_only=True)
    rewards = RewardOutputSerializer(many=True, read_only=True)
    image = ImagePathField(
        read_only=True, allow_null=True, help_text="The picture's path on this site (/media/…); null without one."
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "slug",
            "title",
            "description",
            "image",
            "image_alt",
            "creator",
            "state",
            "funding_model",
            "goal",
            "currency",
            "deadline",
            "launched_at",
            "closed_at",
            "funded_at",
            "pledged",
            "backers_count",
            "percent_funded",
            "rewards",
        ]


class CampaignInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=Campaign.DESCRIPTION_MAX_LENGTH)
    goal = amount_input()
    currency = serializers.CharField(max_length=3, min_length=3)
    deadline = serializers.DateTimeField(required=False, allow_null=True)
    funding_model = serializers.ChoiceField(choices=Campaign.FundingModel.choices, required=False)
