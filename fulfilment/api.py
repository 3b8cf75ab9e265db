"""Surveys and fulfilment over HTTP: one API class per operation (docs/api.md).

The creator (or staff by permission) builds, sends and reads a campaign's survey and updates
fulfilment; a backer answers their own pledge's survey and says their reward arrived. A
pledge that is not the caller's is not found (404), whoever asks.
"""

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from core.api_routing import MethodRoutes
from core.errors import NotAllowed
from core.permissions import staff_may
from fulfilment.addresses import ADDRESS_FIELDS, MAX_LENGTHS
from fulfilment.models import Fulfilment, Survey, SurveyQuestion, SurveyResponse
from fulfilment.selectors import (
    may_view_addresses,
    may_view_survey,
    pledge_needs_address,
    prefill_country,
    survey_questions_for,
    survey_response_rates,
    survey_responses,
)
from fulfilment.services import (
    CHANGE_FULFILMENT,
    CHANGE_SURVEY,
    MAX_QUESTIONS,
    fulfilment_import_csv,
    fulfilment_mark_received,
    fulfilment_update,
    survey_answer,
    survey_delete,
    survey_remind,
    survey_save,
    survey_send,
)
from pledges.models import Pledge

FORBIDDEN = "Only the campaign's creator (or staff with the permission) may do that."
ERRORS: dict[int, Any] = {
    400: OpenApiResponse(description="Invalid input; errors by field (a CSV's by line)."),
    403: OpenApiResponse(description=FORBIDDEN),
    409: OpenApiResponse(description="Not in a state that allows it: campaign not successful, survey sent or locked."),
}


# Shared, not nested: every survey endpoint of the creator answers this one shape.
class SurveyOutputSerializer(serializers.ModelSerializer):
    # A campaign without a survey answers one not yet saved: no id, no lock date, state draft.
    id = serializers.IntegerField(read_only=True, allow_null=True, help_text="null: no survey built yet.")
    lock_at = serializers.DateTimeField(allow_null=True)
    questions = serializers.SerializerMethodField()
    response_rates = serializers.SerializerMethodField(help_text="Per tier: backers asked, answered, percent.")

    class Meta:
        model = Survey
        fields = [
            "id",
            "campaign",
            "state",
            "asks_address",
            "lock_at",
            "sent_at",
            "manual_reminders",
            "last_manual_reminder_at",
            "questions",
            "response_rates",
        ]

    def get_questions(self, survey: Survey) -> list[dict[str, Any]]:
        if survey.pk is None:
            return []
        return [_question(q) for q in survey.questions.order_by("position")]

    def get_response_rates(self, survey: Survey) -> list[dict[str, Any]]:
        return survey_response_rates(survey)


def _question(question: SurveyQuestion) -> dict[str, Any]:
    return {
        "id": question.pk,
        "tier": question.tier_id,
        "kind": question.kind,
        "prompt": question.prompt,
        "choices": question.choices,
        "required": question.required,
    }


def _address(response: SurveyResponse) -> dict[str, str]:
    return {field: getattr(response, field) for field in ADDRESS_FIELDS}


# Shared, not nested: the address a backer sends (answer) and the one answers show.
class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_LENGTHS["name"])
    address1 = serializers.CharField(max_length=MAX_LENGTHS["address1"])
    address2 = serializers.CharField(max_length=MAX_LENGTHS["address2"], required=False, allow_blank=True)
    city = serializers.CharField(max_length=MAX_LENGTHS["city"], required=False, allow_blank=True)
    state = serializers.CharField(
        max_length=MAX_LENGTHS["state"], required=False, allow_blank=True, help_text="State, province or region."
    )
    postal_code = serializers.CharField(max_length=MAX_LENGTHS["postal_code"], required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, min_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. DE.")
    phone = serializers.CharField(max_length=MAX_LENGTHS["phone"], required=False, allow_blank=True)


class _CampaignScoped(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class: type[serializers.BaseSerializer[Any]] = SurveyOutputSerializer
    # Staff need this permission to act for a creator here (reads need view_surveyresponse).
    staff_permission = CHANGE_SURVEY

    def get_campaign(self) -> Campaign:
        campaign = get_object_or_404(campaigns_visible_to(self.request.user), pk=self.kwargs["campaign_id"])
        if campaign.creator_id != self.request.user.pk and not staff_may(self.request.user, self.staff_permission):
            raise NotAllowed(FORBIDDEN)
        return campaign

    def get_survey(self) -> Survey:
        return get_object_or_404(Survey, campaign=self.get_campaign())


class SurveyDetailApi(_CampaignScoped):
    """The campaign's survey, its questions and the response rate per tier."""

    @extend_schema(responses={200: SurveyOutputSerializer, 403: OpenApiResponse(description=FORBIDDEN)})
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(campaigns_visible_to(request.user), pk=campaign_id)
        if not may_view_survey(request.user, campaign):
            raise NotAllowed(FORBIDDEN)
        survey = Survey.objects.filter(campaign=campaign).first() or Survey(campaign=campaign)
        return Response(SurveyOutputSerializer(survey).data)


class SurveySaveApi(_CampaignScoped):
    """Create the survey or replace its draft (after a successful close; not once sent)."""

    class QuestionSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=SurveyQuestion.Kind.choices)
        prompt = serializers.CharField(max_length=SurveyQuestion.PROMPT_MAX_LENGTH)
        tier = serializers.IntegerField(
            min_value=1, required=False, allow_null=True, help_text="A tier of the campaign; null: every backer."
        )
        choices = serializers.ListField(
            child=serializers.CharField(max_length=SurveyQuestion.CHOICE_MAX_LENGTH),
            required=False,
            max_length=SurveyQuestion.MAX_CHOICES,
        )
        # A field named like Field.required: DRF's metaclass takes it off the class as a field.
        required = serializers.BooleanField(default=True)  # type: ignore[assignment]

        class Meta:
            ref_name = "SurveyQuestionInput"

    class InputSerializer(serializers.Serializer):
        lock_at = serializers.DateTimeField(help_text="Backers may answer and change their answers until then.")
        asks_address = serializers.BooleanField(default=True)
        questions = serializers.ListField(child=serializers.DictField(), max_length=MAX_QUESTIONS, default=list)

        class Meta:
            ref_name = "SurveyInput"

    @extend_schema(request=InputSerializer, responses={200: SurveyOutputSerializer, **ERRORS})
    def put(self, request, campaign_id: int):
        campaign = self.get_campaign()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        questions = []
        for index, raw in enumerate(data.validated_data["questions"]):
            question = self.QuestionSerializer(data=raw)
            if not question.is_valid():
                raise serializers.ValidationError({f"questions.{index}": question.errors})
            questions.append(dict(question.validated_data))
        survey = survey_save(
            campaign=campaign,
            user=request.user,
            lock_at=data.validated_data["lock_at"],
            asks_address=data.validated_data["asks_address"],
            questions=questions,
        )
        return Response(SurveyOutputSerializer(survey).data)


class SurveyDeleteApi(_CampaignScoped):
    """Delete a draft survey."""

    @extend_schema(request=None, responses={204: None, **ERRORS})
    def delete(self, request, campaign_id: int):
        survey_delete(survey=self.get_survey(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SurveySendApi(_CampaignScoped):
    """Send the survey: each backer of a collected pledge gets one e-mail with a link."""

    @extend_schema(request=None, responses={200: SurveyOutputSerializer, **ERRORS})
    def post(self, request, campaign_id: int):
        return Response(SurveyOutputSerializer(survey_send(survey=self.get_survey(), user=request.user)).data)


class SurveyRemindApi(_CampaignScoped):
    """Remind those who have not answered (once per SURVEY_MANUAL_REMINDER_INTERVAL; 429 before)."""

    class OutputSerializer(serializers.Serializer):
        reminded = serializers.IntegerField(help_text="E-mails written, one per backer who has not answered.")

        class Meta:
            ref_name = "SurveyRemindOutput"

    @extend_schema(
        request=None,
        responses={200: OutputSerializer, 429: OpenApiResponse(description="Reminded recently"), **ERRORS},
    )
    def post(self, request, campaign_id: int):
        written = survey_remind(survey=self.get_survey(), user=request.user)
        return Response(self.OutputSerializer({"reminded": written}).data)


class SurveyResponseListApi(ListModelMixin, _CampaignScoped):
    """The answers, paginated; addresses only for the creator and staff who may view them (else null)."""

    class OutputSerializer(serializers.Serializer):
        pledge = serializers.IntegerField(source="pledge_id")
        backer = serializers.CharField(source="pledge.backer.username")
        tier = serializers.IntegerField(source="pledge.reward_id", allow_null=True)
        answers = serializers.DictField(help_text="Question id → text, or the choices picked.")
        address = serializers.SerializerMethodField()
        submitted_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

        class Meta:
            ref_name = "SurveyResponseOutput"

        def get_address(self, response: SurveyResponse) -> dict[str, str] | None:
            return _address(response) if self.context["addresses"] and response.country else None

    serializer_class = OutputSerializer
    filter_backends: list[Any] = []

    def _campaign(self) -> Campaign:
        campaign = get_object_or_404(campaigns_visible_to(self.request.user), pk=self.kwargs["campaign_id"])
        if not may_view_survey(self.request.user, campaign):
            raise NotAllowed(FORBIDDEN)
        return campaign

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return SurveyResponse.objects.none()
        survey = Survey.objects.filter(campaign=self._campaign()).first()
        return survey_responses(survey) if survey else SurveyResponse.objects.none()

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            context["addresses"] = may_view_addresses(self.request.user, self._campaign())
        return context

    @extend_schema(responses={200: OutputSerializer(many=True), 403: OpenApiResponse(description=FORBIDDEN)})
    def get(self, request, campaign_id: int):
        return self.list(request)


# Shared, not nested: a pledge's fulfilment, for its creator and its backer alike.
class FulfilmentOutputSerializer(serializers.Serializer):
    pledge = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Fulfilment.Status.choices)
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


def _fulfilment(pledge: Pledge) -> dict[str, Any]:
    found = Fulfilment.objects.filter(pledge=pledge).first()
    if found is None:
        found = Fulfilment(pledge=pledge)
    return FulfilmentOutputSerializer(
        {
            "pledge": pledge.pk,
            "status": found.status,
            "carrier": found.carrier,
            "tracking_number": found.tracking_number,
            "tracking_url": found.tracking_url,
            "shipped_at": found.shipped_at,
            "delivered_at": found.delivered_at,
        }
    ).data


class FulfilmentUpdateApi(_CampaignScoped):
    """Move one pledge's reward: shipped (carrier and tracking number), delivered, or back to unfulfilled."""

    staff_permission = CHANGE_FULFILMENT
    serializer_class = FulfilmentOutputSerializer

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["unfulfilled", "shipped", "delivered"])
        carrier = serializers.CharField(max_length=Fulfilment.CARRIER_MAX_LENGTH, required=False, allow_blank=True)
        tracking_number = serializers.CharField(
            max_length=Fulfilment.TRACKING_MAX_LENGTH, required=False, allow_blank=True
        )
        tracking_url = serializers.CharField(max_length=Fulfilment.URL_MAX_LENGTH, required=False, allow_blank=True)

        class Meta:
            ref_name = "FulfilmentInput"

    @extend_schema(request=InputSerializer, responses={200: FulfilmentOutputSerializer, **ERRORS})
    def patch(self, request, campaign_id: int, pledge_id: int):
        campaign = self.get_campaign()
        pledge = get_object_or_404(Pledge, pk=pledge_id, campaign=campaign)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fulfilment_update(pledge=pledge, user=request.user, **data.validated_data)
        return Response(_fulfilment(pledge))


class FulfilmentUploadApi(_CampaignScoped):
    """Mark pledges shipped from a CSV of tracking numbers (all rows or none; errors name the lines)."""

    staff_permission = CHANGE_FULFILMENT
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(
            help_text="CSV, UTF-8, with a header: Backer Number or Pledge ID, Carrier, Tracking Number, "
            "and optionally Tracking URL."
        )

        class Meta:
            ref_name = "FulfilmentUploadInput"

    class OutputSerializer(serializers.Serializer):
        updated = serializers.IntegerField(help_text="Pledges whose fulfilment changed.")

        class Meta:
            ref_name = "FulfilmentUploadOutput"

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={200: OutputSerializer, **ERRORS})
    def post(self, request, campaign_id: int):
        campaign = self.get_campaign()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        content = data.validated_data["file"].read(settings.FULFILMENT_CSV_MAX_BYTES + 1)
        updated = fulfilment_import_csv(campaign=campaign, user=request.user, data=content)
        return Response(self.OutputSerializer({"updated": updated}).data)


class _OwnPledge(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class: type[serializers.BaseSerializer[Any]] = FulfilmentOutputSerializer

    def get_pledge(self, *, staff_reads: bool = False) -> Pledge:
        """The caller's pledge; with ``staff_reads``, any pledge for staff who may view pledges."""
        pledges = Pledge.objects.select_related("reward", "campaign")
        if not (staff_reads and staff_may(self.request.user, "pledges.view_pledge")):
            pledges = pledges.filter(backer_id=self.request.user.pk)
        return get_object_or_404(pledges, pk=self.kwargs["pledge_id"])


# Shared, not nested: a backer's survey, read and answered.
class BackerSurveyOutputSerializer(serializers.Serializer):
    pledge = serializers.IntegerField()
    lock_at = serializers.DateTimeField(allow_null=True, help_text="null: no survey for this pledge (yet).")
    editable = serializers.BooleanField()
    needs_address = serializers.BooleanField()
    country_prefill = serializers.CharField(help_text="The destination chosen at checkout, if any.")
    questions = serializers.ListField(child=serializers.DictField())
    answers = serializers.DictField(allow_null=True)
    address = AddressSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)


def _backer_survey(pledge: Pledge) -> dict[str, Any]:
    survey = Survey.objects.filter(campaign_id=pledge.campaign_id, state=Survey.State.SENT).first()
    if survey is None or pledge.state != Pledge.State.COLLECTED:
        return BackerSurveyOutputSerializer(
            {
                "pledge": pledge.pk,
                "lock_at": None,
                "editable": False,
                "needs_address": False,
                "country_prefill": "",
                "questions": [],
                "answers": None,
                "address": None,
                "submitted_at": None,
            }
        ).data
    response = SurveyResponse.objects.filter(pledge=pledge).first()
    needs_address = survey.asks_address and pledge_needs_address(pledge)
    return BackerSurveyOutputSerializer(
        {
            "pledge": pledge.pk,
            "lock_at": survey.lock_at,
            "editable": timezone.now() < survey.lock_at,
            "needs_address": needs_address,
            "country_prefill": prefill_country(pledge),
            "questions": [_question(q) for q in survey_questions_for(survey, pledge)],
            "answers": response.answers if response else None,
            "address": _address(response) if response and needs_address and response.country else None,
            "submitted_at": response.submitted_at if response else None,
        }
    ).data


class BackerSurveyDetailApi(_OwnPledge):
    """The survey of the caller's pledge: their questions, their answers so far."""

    serializer_class = BackerSurveyOutputSerializer

    def get(self, request, pledge_id: int):
        return Response(_backer_survey(self.get_pledge(staff_reads=True)))


class BackerSurveyAnswerApi(_OwnPledge):
    """Answer, or change the answers, until the lock date (409 after)."""

    serializer_class = BackerSurveyOutputSerializer

    class InputSerializer(serializers.Serializer):
        answers = serializers.DictField(
            child=serializers.JSONField(), default=dict, help_text="Question id → text, a choice, or a list of them."
        )
        address = AddressSerializer(required=False, allow_null=True)

        class Meta:
            ref_name = "SurveyAnswerInput"

    @extend_schema(request=InputSerializer, responses={200: BackerSurveyOutputSerializer, **ERRORS})
    def put(self, request, pledge_id: int):
        pledge = self.get_pledge()
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        address = data.validated_data.get("address")
        survey_answer(
            pledge=pledge,
            user=request.user,
            answers=data.validated_data["answers"],
            address=dict(address) if address is not None else None,
        )
        return Response(_backer_survey(pledge))


class PledgeFulfilmentApi(_OwnPledge):
    """Where the caller's reward is: status, carrier, tracking."""

    def get(self, request, pledge_id: int):
        return Response(_fulfilment(self.get_pledge(staff_reads=True)))


class PledgeReceivedApi(_OwnPledge):
    """The backer says the reward arrived (after it was shipped)."""

    @extend_schema(request=None, responses={200: FulfilmentOutputSerializer, **ERRORS})
    def post(self, request, pledge_id: int):
        pledge = self.get_pledge()
        fulfilment_mark_received(pledge=pledge, user=request.user)
        return Response(_fulfilment(pledge))


class SurveyRoutes(MethodRoutes):
    """/api/campaigns/{id}/survey/: read, create or replace, delete; one class per operation."""

    routes = {"get": SurveyDetailApi, "put": SurveySaveApi, "delete": SurveyDeleteApi}


class BackerSurveyRoutes(MethodRoutes):
    """/api/pledges/{id}/survey/: the backer reads and answers; one class per operation."""

    routes = {"get": BackerSurveyDetailApi, "put": BackerSurveyAnswerApi}
