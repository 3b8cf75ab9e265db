"""Reward tiers over HTTP: one API class per operation (docs/api.md, "One class per operation")."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from core.api_fields import MoneyField, amount_input
from core.api_routing import MethodRoutes
from core.permissions import IsCreatorOrReadOnly
from rewards.models import RewardTier
from rewards.selectors import rewards_visible_to
from rewards.services import reward_create, reward_delete, reward_update


# Shared, not nested: every reward endpoint answers this one shape, and the campaign's detail
# nests it (campaigns.api), so the schema has one RewardOutput component.
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


def _campaign(view: GenericAPIView, campaign_id: int) -> Campaign:
    campaign = get_object_or_404(campaigns_visible_to(view.request.user), pk=campaign_id)
    view.check_object_permissions(view.request, campaign)
    return campaign


def _reward(view: GenericAPIView, campaign_id: int, reward_id: int) -> RewardTier:
    reward = get_object_or_404(rewards_visible_to(view.request.user), pk=reward_id, campaign_id=campaign_id)
    view.check_object_permissions(view.request, reward)
    return reward


class RewardListApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = RewardOutputSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(responses=RewardOutputSerializer(many=True))
    def get(self, request, campaign_id: int):
        rewards = _campaign(self, campaign_id).rewards.select_related("campaign")
        return Response(RewardOutputSerializer(rewards, many=True).data)


class RewardCreateApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = RewardOutputSerializer

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=120)
        description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
        minimum = amount_input()
        limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10_000_000)
        estimated_delivery = serializers.DateField(required=False, allow_null=True)
        shipping = amount_input(required=False, min_value=0)

        class Meta:
            ref_name = "RewardInput"  # the schema's component names predate the nesting

    @extend_schema(request=InputSerializer, responses={201: RewardOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = _campaign(self, campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reward = reward_create(campaign=campaign, **data.validated_data)
        return Response(RewardOutputSerializer(reward).data, status=status.HTTP_201_CREATED)


class RewardDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = RewardOutputSerializer

    def get(self, request, campaign_id: int, reward_id: int):
        return Response(RewardOutputSerializer(_reward(self, campaign_id, reward_id)).data)


class RewardUpdateApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = RewardOutputSerializer
    # The creation's fields, each optional (partial): the schema's PatchedRewardInput.
    InputSerializer = RewardCreateApi.InputSerializer

    @extend_schema(request=InputSerializer(partial=True), responses=RewardOutputSerializer)
    def patch(self, request, campaign_id: int, reward_id: int):
        reward = _reward(self, campaign_id, reward_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        reward = reward_update(reward=reward, **data.validated_data)
        return Response(RewardOutputSerializer(reward).data)


class RewardDeleteApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = RewardOutputSerializer

    @extend_schema(responses={204: None})
    def delete(self, request, campaign_id: int, reward_id: int):
        reward_delete(reward=_reward(self, campaign_id, reward_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RewardsRoutes(MethodRoutes):
    """/api/campaigns/{id}/rewards/ (the URL contract): one class per operation."""

    routes = {"get": RewardListApi, "post": RewardCreateApi}


class RewardRoutes(MethodRoutes):
    """/api/campaigns/{id}/rewards/{reward_id}/ (the URL contract): one class per operation."""

    routes = {"get": RewardDetailApi, "patch": RewardUpdateApi, "delete": RewardDeleteApi}
