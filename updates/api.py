"""Creator updates over HTTP: one API class per operation (docs/api.md, "One class per operation")."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from campaigns.selectors import campaigns_visible_to
from core.api_routing import MethodRoutes
from core.permissions import IsCreatorOrReadOnly
from updates.models import CampaignUpdate
from updates.selectors import updates_visible_to
from updates.services import EDIT_WINDOW, update_edit, update_publish


# Shared, not nested: every update endpoint answers this one shape (one UpdateOutput component).
class UpdateOutputSerializer(serializers.ModelSerializer):
    body_html = serializers.CharField(read_only=True, help_text="The body as sanitised HTML, rendered when saved.")
    tiers: "serializers.PrimaryKeyRelatedField[Any]" = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    editable_until = serializers.SerializerMethodField()

    class Meta:
        model = CampaignUpdate
        fields = [
            "id",
            "number",
            "title",
            "body",
            "body_html",
            "audience",
            "tiers",
            "published_at",
            "edited_at",
            "editable_until",
        ]

    def get_editable_until(self, update: CampaignUpdate) -> str:
        return serializers.DateTimeField().to_representation(update.published_at + EDIT_WINDOW)


class _CampaignScoped(GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly, IsCreatorOrReadOnly]
    serializer_class = UpdateOutputSerializer

    def get_campaign(self):
        campaign = get_object_or_404(campaigns_visible_to(self.request.user), pk=self.kwargs["campaign_id"])
        self.check_object_permissions(self.request, campaign)
        return campaign


class UpdateListApi(ListModelMixin, _CampaignScoped):
    """Public updates for everyone; backers-only ones for the backers they are meant for and the creator."""

    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CampaignUpdate.objects.none()
        return updates_visible_to(self.get_campaign(), self.request.user)

    def get(self, request, campaign_id: int):
        return self.list(request)


class UpdateCreateApi(_CampaignScoped):
    """Publish an update (the campaign's creator); it is sent to its audience."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        body = serializers.CharField(max_length=CampaignUpdate.BODY_MAX_LENGTH)
        audience = serializers.ChoiceField(choices=CampaignUpdate.Audience.choices, default="public")
        tiers = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=100)

        class Meta:
            ref_name = "UpdateInput"  # the schema's component names predate the nesting

    @extend_schema(request=InputSerializer, responses={201: UpdateOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = self.get_campaign()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        update = update_publish(
            campaign=campaign,
            author=request.user,
            title=values["title"],
            body=values["body"],
            audience=values["audience"],
            tier_ids=values.get("tiers"),
        )
        return Response(UpdateOutputSerializer(update).data, status=status.HTTP_201_CREATED)


class _UpdateScoped(_CampaignScoped):
    def get_object(self) -> CampaignUpdate:
        campaign = self.get_campaign()
        return get_object_or_404(updates_visible_to(campaign, self.request.user), pk=self.kwargs["update_id"])


class UpdateDetailApi(_UpdateScoped):
    def get(self, request, campaign_id: int, update_id: int):
        return Response(UpdateOutputSerializer(self.get_object()).data)


class UpdateEditApi(_UpdateScoped):
    """Correct an update's title or body (its creator, while it is editable: see editable_until)."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False)
        body = serializers.CharField(max_length=CampaignUpdate.BODY_MAX_LENGTH, required=False)

        class Meta:
            ref_name = "UpdateEdit"  # the schema's component names predate the nesting

    @extend_schema(request=InputSerializer, responses=UpdateOutputSerializer)
    def patch(self, request, campaign_id: int, update_id: int):
        update = self.get_object()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(UpdateOutputSerializer(update_edit(update=update, **data.validated_data)).data)


class UpdatesRoutes(MethodRoutes):
    """/api/campaigns/{id}/updates/ (the URL contract): one class per operation."""

    routes = {"get": UpdateListApi, "post": UpdateCreateApi}


class UpdateRoutes(MethodRoutes):
    """/api/campaigns/{id}/updates/{update_id}/ (the URL contract): one class per operation."""

    routes = {"get": UpdateDetailApi, "patch": UpdateEditApi}
