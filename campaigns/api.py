import hashlib
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from campaigns.serializers import CampaignInputSerializer, CampaignOutputSerializer
from campaigns.services import campaign_create, campaign_launch, campaign_update
from closing.services import campaign_cancel
from core.hotcache import LIST_SCOPE, cached, campaign_scope
from core.permissions import IsCreatorOrReadOnly, IsCreatorOrStaffWhoChangesCampaigns
from rewards.models import RewardTier


class CampaignFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=Campaign.State.choices)
    funding_model = filters.ChoiceFilter(choices=Campaign.FundingModel.choices)

    class Meta:
        model = Campaign
        fields = ["state", "funding_model"]


def _campaigns(user):
    rewards = RewardTier.objects.select_related("campaign").order_by("minimum", "id")
    return campaigns_visible_to(user).prefetch_related(Prefetch("rewards", queryset=rewards))


PUBLIC_DETAIL_ENTRY = "detail.json"


def campaign_public_json(campaign_id: int) -> bytes | None:
    """A public campaign's detail as JSON, as anyone (who can see it) gets it: from the hot cache,
    at most a second old in its totals, exact in its state, words and limited stock (the
    services invalidate it on commit). None for a campaign that is not public (drafts and
    canceled ones differ by who asks: those go the ordinary way)."""

    def build() -> bytes | None:
        campaign = _campaigns(AnonymousUser()).filter(pk=campaign_id).first()
        if campaign is None:
            return None
        return JSONRenderer().render(CampaignOutputSerializer(campaign).data)

    return cached(campaign_scope(campaign_id), PUBLIC_DETAIL_ENTRY, build)


def public_list_entry(request) -> str:
    """The hot cache's name for the public list at this address (query string included)."""
    return "api:" + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]


class CampaignListCreateApi(ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CampaignOutputSerializer
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    filterset_class = CampaignFilter
    search_fields = ["title", "description", "creator__username"]

    def get_queryset(self):
        return _campaigns(self.request.user)

    def list(self, request, *args, **kwargs):
        """Anyone signed out reads the same list: from the hot cache (per address, query string
        included), totals at most a second old, state, words and limited stock exact (any
        campaign's invalidation reaches the lists). Signed-in users (creators see their drafts,
        staff everything) get theirs built."""
        if request.user.is_authenticated or request.accepted_renderer.format != "json":
            return super().list(request, *args, **kwargs)

        def build() -> bytes:
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            return JSONRenderer().render(self.get_paginated_response(self.get_serializer(page, many=True).data).data)

        return HttpResponse(cached(LIST_SCOPE, public_list_entry(request), build), content_type="application/json")

    @extend_schema(request=CampaignInputSerializer, responses={201: CampaignOutputSerializer})
    def post(self, request):
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_create(creator=request.user, **data.validated_data)
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = CampaignOutputSerializer

    def get_object(self) -> Campaign:
        campaign = get_object_or_404(_campaigns(self.request.user), pk=self.kwargs["campaign_id"])
        self.check_object_permissions(self.request, campaign)
        return campaign

    def get(self, request, campaign_id: int):
        if request.accepted_renderer.format == "json":
            # Public campaigns read the same for everyone: from the hot cache (see campaign_public_json).
            body = campaign_public_json(campaign_id)
            if body is not None:
                return HttpResponse(body, content_type="application/json")
        return Response(CampaignOutputSerializer(self.get_object()).data)

    @extend_schema(request=CampaignInputSerializer(partial=True), responses=CampaignOutputSerializer)
    def patch(self, request, campaign_id: int):
        campaign = self.get_object()
        data = CampaignInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign_update(campaign=campaign, **data.validated_data)
        return Response(CampaignOutputSerializer(self.get_object()).data)


class _CampaignActionApi(GenericAPIView):
    permission_classes = [IsAuthenticated, IsCreatorOrReadOnly]
    serializer_class = CampaignOutputSerializer
    service: Callable[..., Campaign]  # set by each subclass

    def get_object(self) -> Campaign:
        campaign = get_object_or_404(campaigns_visible_to(self.request.user), pk=self.kwargs["campaign_id"])
        self.check_object_permissions(self.request, campaign)
        return campaign

    @extend_schema(request=None, responses=CampaignOutputSerializer)
    def post(self, request, campaign_id: int):
        type(self).service(campaign=self.get_object())
        return Response(CampaignOutputSerializer(_campaigns(request.user).get(pk=campaign_id)).data)


class CampaignLaunchApi(_CampaignActionApi):
    service = campaign_launch


class CampaignCancelApi(_CampaignActionApi):
    permission_classes = [IsAuthenticated, IsCreatorOrStaffWhoChangesCampaigns]
    service = campaign_cancel
