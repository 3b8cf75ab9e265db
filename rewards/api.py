from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from campaigns.selectors import campaigns_visible_to
from core.permissions import IsCreatorOrReadOnly
from rewards.models import RewardTier
from rewards.selectors import rewards_visible_to
from rewards.serializers import RewardInputSerializer, RewardOutputSerializer
from rewards.services import reward_create, reward_delete, reward_update


class RewardListCreateApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = RewardOutputSerializer
    pagination_class = None
    filter_backends: list = []

    def get_campaign(self):
        campaign = get_object_or_404(campaigns_visible_to(self.request.user), pk=self.kwargs["campaign_id"])
        self.check_object_permissions(self.request, campaign)
        return campaign

    @extend_schema(responses=RewardOutputSerializer(many=True))
    def get(self, request, campaign_id: int):
        campaign = self.get_campaign()
        rewards = campaign.rewards.select_related("campaign")
        return Response(RewardOutputSerializer(rewards, many=True).data)

    @extend_schema(request=RewardInputSerializer, responses={201: RewardOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = self.get_campaign()
        data = RewardInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reward = reward_create(campaign=campaign, **data.validated_data)
        return Response(RewardOutputSerializer(reward).data, status=status.HTTP_201_CREATED)


class RewardDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = RewardOutputSerializer

    def get_object(self) -> RewardTier:
        reward = get_object_or_404(
            rewards_visible_to(self.request.user),
            pk=self.kwargs["reward_id"],
            campaign_id=self.kwargs["campaign_id"],
        )
        self.check_object_permissions(self.request, reward)
        return reward

    def get(self, request, campaign_id: int, reward_id: int):
        return Response(RewardOutputSerializer(self.get_object()).data)

    @extend_schema(request=RewardInputSerializer(partial=True), responses=RewardOutputSerializer)
    def patch(self, request, campaign_id: int, reward_id: int):
        reward = self.get_object()
        data = RewardInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        reward = reward_update(reward=reward, **data.validated_data)
        return Response(RewardOutputSerializer(reward).data)

    @extend_schema(responses={204: None})
    def delete(self, request, campaign_id: int, reward_id: int):
        reward_delete(reward=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
