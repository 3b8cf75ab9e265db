"""Campaigns over HTTP: one API class per operation (docs/api.md, "One class per operation").
Signed-out reads of the list and of a public campaign come from the hot cache (campaigns.hot);
the views only hand it the body to build on a miss."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from campaigns import hot
from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from campaigns.services import (
    campaign_create,
    campaign_launch_or_submit,
    campaign_set_late_pledges,
    campaign_update,
)
from closing.services import campaign_cancel
from core.api_fields import MoneyField, amount_input
from core.api_routing import MethodRoutes
from core.permissions import IsCreatorOrReadOnly, IsCreatorOrStaffWhoChangesCampaigns
from rewards.api import RewardOutputSerializer
from rewards.models import RewardTier


class ImagePathField(serializers.ImageField):
    """The picture's path on this site, whatever the request: the detail is cached for every host."""

    def to_representation(self, value):
        return value.url if value else None


# Shared, not nested: every campaign endpoint (list, detail, create, edit, launch, cancel)
# answers this one shape, so the schema has one CampaignOutput component.
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
            "late_pledges_until",
            "late_price_percent",
            "rewards",
            "review_state",
            "coming_soon_at",
        ]
        extra_kwargs = {
            "late_pledges_until": {
                "help_text": "Late pledges: after a successful close the campaign takes pledges, charged at once, "
                "until this moment; null: none."
            },
            "late_price_percent": {
                "help_text": "What a late pledge's reward price adds to each tier's minimum, in percent "
                "(rounded up to the currency's minor unit)."
            },
        }


class CampaignFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=Campaign.State.choices)
    funding_model = filters.ChoiceFilter(choices=Campaign.FundingModel.choices)

    class Meta:
        model = Campaign
        fields = ["state", "funding_model"]


def _campaigns(user):
    """What CampaignOutputSerializer reads, in three queries: the campaigns, then their tiers."""
    rewards = RewardTier.objects.select_related("campaign").prefetch_related("shipping_rules").order_by("minimum", "id")
    return campaigns_visible_to(user).prefetch_related(Prefetch("rewards", queryset=rewards))


def _campaign(view: GenericAPIView, campaign_id: int, campaigns=None) -> Campaign:
    campaign = get_object_or_404(campaigns if campaigns is not None else _campaigns(view.request.user), pk=campaign_id)
    view.check_object_permissions(view.request, campaign)
    return campaign


class CampaignListApi(ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CampaignOutputSerializer
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    filterset_class = CampaignFilter
    search_fields = ["title", "description", "creator__username"]

    def get_queryset(self):
        return _campaigns(self.request.user)

    def list(self, request, *args, **kwargs):
        """Signed out: the hot cache's list (campaigns.hot.public_list); signed in: built for them."""
        built = super().list
        cached = hot.public_list(request, build=lambda: JSONRenderer().render(built(request).data))
        return cached if cached is not None else built(request)


class CampaignCreateApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CampaignOutputSerializer

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=120)
        description = serializers.CharField(
            required=False, allow_blank=True, max_length=Campaign.DESCRIPTION_MAX_LENGTH
        )
        goal = amount_input()
        currency = serializers.CharField(max_length=3, min_length=3)
        deadline = serializers.DateTimeField(required=False, allow_null=True)
        funding_model = serializers.ChoiceField(choices=Campaign.FundingModel.choices, required=False)

        class Meta:
            ref_name = "CampaignInput"  # the schema's component names predate the nesting

    @extend_schema(request=InputSerializer, responses={201: CampaignOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_create(creator=request.user, **data.validated_data)
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)


def _public_body(campaign_id: int) -> bytes | None:
    """A campaign's detail as anyone signed out reads it; None unless it is public."""
    campaign = _campaigns(AnonymousUser()).filter(pk=campaign_id).first()
    return None if campaign is None else JSONRenderer().render(CampaignOutputSerializer(campaign).data)


class CampaignDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = CampaignOutputSerializer

    def get(self, request, campaign_id: int):
        # A public campaign reads the same for everyone: from the hot cache (campaigns.hot.public_detail).
        cached = hot.public_detail(request, campaign_id, build=lambda: _public_body(campaign_id))
        if cached is not None:
            return cached
        return Response(CampaignOutputSerializer(_campaign(self, campaign_id)).data)


class CampaignUpdateApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = CampaignOutputSerializer
    # The creation's fields, each optional (partial): the schema's PatchedCampaignInput.
    InputSerializer = CampaignCreateApi.InputSerializer

    @extend_schema(request=InputSerializer(partial=True), responses=CampaignOutputSerializer)
    def patch(self, request, campaign_id: int):
        campaign = _campaign(self, campaign_id)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign_update(campaign=campaign, **data.validated_data)
        return Response(CampaignOutputSerializer(_campaign(self, campaign_id)).data)


class CampaignLaunchApi(GenericAPIView):
    """Launch a draft. While CAMPAIGN_REVIEW_REQUIRED, a draft not yet approved is submitted for
    review instead (202, ``review_state`` "pending"); launching again once staff approved it goes live.
    A draft awaiting review answers 409 ``review_pending``."""

    permission_classes = [IsAuthenticated, IsCreatorOrReadOnly]
    serializer_class = CampaignOutputSerializer

    @extend_schema(request=None, responses={200: CampaignOutputSerializer, 202: CampaignOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = campaign_launch_or_submit(campaign=_campaign(self, campaign_id, campaigns_visible_to(request.user)))
        submitted = campaign.state == Campaign.State.DRAFT
        body = CampaignOutputSerializer(_campaigns(request.user).get(pk=campaign_id)).data
        return Response(body, status=status.HTTP_202_ACCEPTED if submitted else status.HTTP_200_OK)


class CampaignCancelApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsCreatorOrStaffWhoChangesCampaigns]
    serializer_class = CampaignOutputSerializer

    @extend_schema(request=None, responses=CampaignOutputSerializer)
    def post(self, request, campaign_id: int):
        campaign_cancel(campaign=_campaign(self, campaign_id, campaigns_visible_to(request.user)))
        return Response(CampaignOutputSerializer(_campaigns(request.user).get(pk=campaign_id)).data)


class CampaignLatePledgesApi(GenericAPIView):
    """The creator turns late pledges on (an end date and a late price) or off (``until`` null)."""

    permission_classes = [IsAuthenticated, IsCreatorOrReadOnly]
    serializer_class = CampaignOutputSerializer

    class InputSerializer(serializers.Serializer):
        until = serializers.DateTimeField(
            allow_null=True,
            help_text="When late pledges end: after the deadline, at most LATE_PLEDGES_MAX_DURATION after it; "
            "null turns them off.",
        )
        price_percent = serializers.IntegerField(
            min_value=0,
            max_value=1000,
            required=False,
            default=0,
            help_text="What the late price adds to each tier's minimum, in percent (0 to LATE_PRICE_MAX_PERCENT).",
        )

        class Meta:
            ref_name = "LatePledgesInput"

    @extend_schema(request=InputSerializer, responses=CampaignOutputSerializer)
    def put(self, request, campaign_id: int):
        campaign = _campaign(self, campaign_id, campaigns_visible_to(request.user))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign_set_late_pledges(
            campaign=campaign, until=data.validated_data["until"], price_percent=data.validated_data["price_percent"]
        )
        return Response(CampaignOutputSerializer(_campaigns(request.user).get(pk=campaign_id)).data)


class CampaignsRoutes(MethodRoutes):
    """/api/campaigns/ (the URL contract): one class per operation."""

    routes = {"get": CampaignListApi, "post": CampaignCreateApi}


class CampaignRoutes(MethodRoutes):
    """/api/campaigns/{id}/ (the URL contract): one class per operation."""

    routes = {"get": CampaignDetailApi, "patch": CampaignUpdateApi}
