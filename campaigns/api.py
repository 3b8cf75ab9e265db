"""Campaigns over HTTP: one API class per operation (docs/api.md, "One class per operation").
Signed-out reads of the list and of a public campaign come from the hot cache (campaigns.hot);
the views only hand it the body to build on a miss."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.selectors import public_name
from campaigns import hot
from campaigns.models import Campaign, Category
from campaigns.selectors import campaigns_visible_to
from campaigns.services import (
    campaign_create,
    campaign_launch_or_submit,
    campaign_set_late_pledges,
    campaign_update,
)
from campaigns.video import video_embed_url
from closing.services import campaign_cancel
from core.api_fields import MoneyField, SlugLookupField, amount_input
from core.api_routing import MethodRoutes
from core.permissions import IsCreatorOrReadOnly, IsCreatorOrStaffWhoChangesCampaigns
from discovery.selectors import FUNDING_CHOICES, Sort, campaigns_filtered, clean_filters
from rewards.api import RewardOutputSerializer
from rewards.models import RewardTier


class ImagePathField(serializers.ImageField):
    """The picture's path on this site, whatever the request: the detail is cached for every host."""

    def to_representation(self, value):
        return value.url if value else None


# Shared: the FAQ entries of every campaign endpoint's answer (CampaignOutputSerializer).
class QuestionOutputSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()

    class Meta:
        ref_name = "CampaignQuestion"


# Shared, not nested: every campaign endpoint (list, detail, create, edit, launch, cancel)
# answers this one shape, so the schema has one CampaignOutput component.
class CampaignOutputSerializer(serializers.ModelSerializer):
    creator = serializers.CharField(source="creator.username", read_only=True)
    creator_name = serializers.SerializerMethodField(help_text="The creator's display name (else the username).")
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    category_name = serializers.SerializerMethodField()
    video_url = serializers.CharField(
        read_only=True, help_text="The YouTube or Vimeo link as given; empty without one."
    )
    video_embed_url = serializers.SerializerMethodField(help_text="The privacy-enhanced player's address, or null.")
    faq = QuestionOutputSerializer(many=True, read_only=True)
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
            "creator_name",
            "blurb",
            "category",
            "category_name",
            "risks",
            "video_url",
            "video_embed_url",
            "faq",
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

    def get_creator_name(self, campaign: Campaign) -> str:
        return public_name(campaign.creator)

    def get_category_name(self, campaign: Campaign) -> str | None:
        return None if campaign.category is None else campaign.category.name

    def get_video_embed_url(self, campaign: Campaign) -> str | None:
        return video_embed_url(campaign.video_url) if campaign.video_url else None


class CampaignFilter(filters.FilterSet):
    """The list's filters. ``search``, ``category``, ``location``, ``funding`` and ``sort`` go
    through discovery.selectors (the same as the site's); an unknown value there filters nothing."""

    state = filters.ChoiceFilter(choices=Campaign.State.choices)
    funding_model = filters.ChoiceFilter(choices=Campaign.FundingModel.choices)
    search = filters.CharFilter(
        method="_discover",
        help_text="Full text (English, German) over title, blurb, story and creator; typos forgiven.",
    )
    category = filters.CharFilter(method="_discover", help_text="A category's slug (its subcategories included).")
    location = filters.CharFilter(method="_discover", help_text="Part of the creator's location.")
    funding = filters.ChoiceFilter(choices=FUNDING_CHOICES, method="_discover")
    sort = filters.ChoiceFilter(choices=Sort.CHOICES, method="_discover")

    class Meta:
        model = Campaign
        fields = ["state", "funding_model"]

    def _discover(self, queryset, name, value):
        return queryset  # applied once for all of them in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        asked = {name: data.get(name) or "" for name in ("search", "category", "location", "funding", "sort")}
        if not any(asked.values()):
            return queryset
        return campaigns_filtered(queryset, clean_filters(**asked))


_PREFETCH = (
    Prefetch(
        "rewards",
        queryset=RewardTier.objects.select_related("campaign")
        .prefetch_related("shipping_rules")
        .order_by("minimum", "id"),
    ),
    "faq",
)


def _campaigns(user):
    """What CampaignOutputSerializer reads, in five queries: the campaigns, their tiers, the tiers'
    shipping rules, their FAQ."""
    return campaigns_visible_to(user).select_related("category").prefetch_related(*_PREFETCH)


def _campaign(view: GenericAPIView, campaign_id: int, campaigns=None) -> Campaign:
    campaign = get_object_or_404(campaigns if campaigns is not None else _campaigns(view.request.user), pk=campaign_id)
    view.check_object_permissions(view.request, campaign)
    return campaign


class CampaignListApi(ListAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CampaignOutputSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = CampaignFilter

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
        blurb = serializers.CharField(required=False, allow_blank=True, max_length=Campaign.BLURB_MAX_LENGTH)
        category = SlugLookupField(slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True)
        risks = serializers.CharField(required=False, allow_blank=True, max_length=Campaign.RISKS_MAX_LENGTH)
        video_url = serializers.CharField(
            required=False, allow_blank=True, max_length=300, help_text="A YouTube or Vimeo link."
        )

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
