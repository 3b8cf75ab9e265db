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
from rewards.models import AddOn, RewardTier, ShippingRule
from rewards.regions import Region
from rewards.selectors import add_ons_visible_to, rewards_visible_to
from rewards.services import (
    Rule,
    add_on_create,
    add_on_delete,
    add_on_update,
    reward_create,
    reward_delete,
    reward_update,
    world_shipping,
)


# Shared, not nested: the one ShippingRuleOutput shape of the schema, used by several operations.
class ShippingRuleOutputSerializer(serializers.ModelSerializer):
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2 code, or empty for a region.")
    region = serializers.CharField(read_only=True, help_text="A region code, or empty for a country.")
    destination = serializers.CharField(read_only=True, help_text="The country's or region's name.")
    price = MoneyField(currency_from="tier.campaign.currency")

    class Meta:
        model = ShippingRule
        fields = ["country", "region", "destination", "price"]


# Shared, not nested: the one ShippingRuleInput shape of the schema, used by several operations.
class ShippingRuleInputSerializer(serializers.Serializer):
    country = serializers.CharField(required=False, allow_blank=True, max_length=2, default="")
    region = serializers.ChoiceField(choices=Region.choices, required=False, allow_blank=True, default="")
    price = amount_input(min_value=0)

    class Meta:
        ref_name = "ShippingRuleInput"


# Shared, not nested: every reward endpoint answers this one shape, and the campaign's detail
# nests it (campaigns.api), so the schema has one RewardOutput component.
class RewardOutputSerializer(serializers.ModelSerializer):
    minimum = MoneyField(currency_from="campaign.currency")
    shipping = serializers.SerializerMethodField(
        help_text='The rest-of-world shipping price (what a flat shipping cost was), "0" without one; '
        "see shipping_rules."
    )
    remaining = serializers.IntegerField(read_only=True, allow_null=True)
    shipping_rules = ShippingRuleOutputSerializer(many=True, read_only=True)

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
            "ships",
            "shipping_rules",
        ]

    def get_shipping(self, tier: RewardTier) -> str:
        return str(tier.campaign.money(world_shipping(tier)))


def _campaign(view: GenericAPIView, campaign_id: int) -> Campaign:
    campaign = get_object_or_404(campaigns_visible_to(view.request.user), pk=campaign_id)
    view.check_object_permissions(view.request, campaign)
    return campaign


def _rewards(campaign: Campaign):
    return campaign.rewards.select_related("campaign").prefetch_related("shipping_rules")


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
        rewards = _rewards(_campaign(self, campaign_id))
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
        shipping = amount_input(
            required=False, min_value=0, help_text="A flat cost: the rest-of-world rule (shipping_rules says more)."
        )
        ships = serializers.BooleanField(required=False, help_text="A physical reward; digital when false.")
        shipping_rules = serializers.ListField(
            child=ShippingRuleInputSerializer(),
            required=False,
            max_length=300,
            help_text="Where it ships: each rule a country (ISO code) or a region, and its price. "
            "A country rule beats a region, a region beats rest of world; unlisted places are not shipped to.",
        )

        class Meta:
            ref_name = "RewardInput"  # the schema's component names predate the nesting

        def service_values(self) -> dict:
            values = dict(self.validated_data)
            if "shipping_rules" in values:
                values["shipping_rules"] = [Rule(**rule) for rule in values["shipping_rules"]]
            return values

    @extend_schema(request=InputSerializer, responses={201: RewardOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = _campaign(self, campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reward = reward_create(campaign=campaign, **data.service_values())
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
        reward = reward_update(reward=reward, **data.service_values())
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


# --- add-ons ----------------------------------------------------------------------------------


# Shared, not nested: the one AddOnOutput shape of the schema, used by several operations.
class AddOnOutputSerializer(serializers.ModelSerializer):
    price = MoneyField(currency_from="campaign.currency")
    remaining = serializers.IntegerField(read_only=True, allow_null=True)
    tiers: serializers.PrimaryKeyRelatedField[RewardTier] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="The tiers it goes with; empty: every tier."
    )

    class Meta:
        model = AddOn
        fields = ["id", "title", "description", "price", "limit", "claimed", "remaining", "max_per_backer", "tiers"]


def _add_on(view: GenericAPIView, campaign_id: int, add_on_id: int) -> AddOn:
    add_on = get_object_or_404(add_ons_visible_to(view.request.user), pk=add_on_id, campaign_id=campaign_id)
    view.check_object_permissions(view.request, add_on)
    return add_on


class AddOnListApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = AddOnOutputSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(responses=AddOnOutputSerializer(many=True))
    def get(self, request, campaign_id: int):
        add_ons = _campaign(self, campaign_id).add_ons.select_related("campaign").prefetch_related("tiers")
        return Response(AddOnOutputSerializer(add_ons, many=True).data)


class AddOnCreateApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = AddOnOutputSerializer

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=120)
        description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
        price = amount_input()
        limit = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=10_000_000)
        max_per_backer = serializers.IntegerField(required=False, min_value=1, max_value=1000)
        tiers = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            max_length=1000,
            help_text="Tier ids it goes with; empty: every tier.",
        )

        class Meta:
            ref_name = "AddOnInput"

    @extend_schema(request=InputSerializer, responses={201: AddOnOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = _campaign(self, campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        add_on = add_on_create(campaign=campaign, **data.validated_data)
        return Response(AddOnOutputSerializer(add_on).data, status=status.HTTP_201_CREATED)


class AddOnDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = AddOnOutputSerializer

    def get(self, request, campaign_id: int, add_on_id: int):
        return Response(AddOnOutputSerializer(_add_on(self, campaign_id, add_on_id)).data)


class AddOnUpdateApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = AddOnOutputSerializer
    InputSerializer = AddOnCreateApi.InputSerializer

    @extend_schema(request=InputSerializer(partial=True), responses=AddOnOutputSerializer)
    def patch(self, request, campaign_id: int, add_on_id: int):
        add_on = _add_on(self, campaign_id, add_on_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(AddOnOutputSerializer(add_on_update(add_on=add_on, **data.validated_data)).data)


class AddOnDeleteApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = AddOnOutputSerializer

    @extend_schema(responses={204: None})
    def delete(self, request, campaign_id: int, add_on_id: int):
        add_on_delete(add_on=_add_on(self, campaign_id, add_on_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AddOnsRoutes(MethodRoutes):
    """/api/campaigns/{id}/add-ons/ (the URL contract): one class per operation."""

    routes = {"get": AddOnListApi, "post": AddOnCreateApi}


class AddOnRoutes(MethodRoutes):
    """/api/campaigns/{id}/add-ons/{add_on_id}/ (the URL contract): one class per operation."""

    routes = {"get": AddOnDetailApi, "patch": AddOnUpdateApi, "delete": AddOnDeleteApi}
