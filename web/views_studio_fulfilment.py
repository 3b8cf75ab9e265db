"""The studio's survey and fulfilment pages: build, preview and send the survey, see the
response rates, remind; upload tracking numbers or update one pledge. Only the campaign's
creator reaches them (anyone else: 404); each change is the service the API calls."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.models import Campaign
from core.errors import DomainError
from fulfilment.models import Survey
from fulfilment.selectors import survey_questions_for_tier, survey_response_rates
from fulfilment.services import fulfilment_import_csv, fulfilment_update, survey_remind, survey_save, survey_send
from pledges.models import Pledge
from web.forms_fulfilment import (
    QUESTION_ROWS_EMPTY,
    FulfilmentForm,
    SurveyAnswerForm,
    SurveyBuildForm,
    TrackingUploadForm,
)


def _own_campaign(request, slug: str) -> Campaign:
    return get_object_or_404(Campaign.objects.filter(creator=request.user), slug=slug)


def _initial(survey: Survey | None) -> dict:
    if survey is None:
        return {"lock_at": timezone.now() + timedelta(days=30), "asks_address": True}
    initial = {"lock_at": survey.lock_at, "asks_address": survey.asks_address}
    for row, question in enumerate(survey.questions.order_by("position")):
        initial.update(
            {
                f"prompt_{row}": question.prompt,
                f"kind_{row}": question.kind,
                f"tier_{row}": str(question.tier_id or ""),
                f"choices_{row}": "\n".join(question.choices),
                f"required_{row}": question.required,
            }
        )
    return initial


def _preview(survey: Survey | None, request) -> dict | None:
    """What a backer of the chosen tier sees (``?preview=<tier id>`` or ``none``), not submittable."""
    chosen = request.GET.get("preview")
    if survey is None or chosen is None:
        return None
    tier = survey.campaign.rewards.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    questions = survey_questions_for_tier(survey, tier.pk if tier else None)
    needs_address = survey.asks_address and tier is not None and tier.ships
    return {"tier": tier, "form": SurveyAnswerForm(questions=questions, needs_address=needs_address)}


@login_required
@require_http_methods(["GET", "POST"])
def studio_survey(request, slug: str):
    campaign = _own_campaign(request, slug)
    survey = Survey.objects.filter(campaign=campaign).first()
    tiers = list(campaign.rewards.values_list("pk", "title"))
    count = survey.questions.count() if survey else 0
    rows = count + (QUESTION_ROWS_EMPTY if survey is None or survey.state == Survey.State.DRAFT else 0)
    status = 200
    form = SurveyBuildForm(request.POST or None, initial=_initial(survey), tiers=tiers, rows=rows)
    if request.method == "POST":
        try:
            if "send" in request.POST and survey is not None:
                survey_send(survey=survey, user=request.user)
                messages.success(request, _("The survey is sent; backers are being e-mailed."))
                return redirect("studio-survey", slug=campaign.slug)
            if "remind" in request.POST and survey is not None:
                written = survey_remind(survey=survey, user=request.user)
                messages.success(request, _("%(count)d backers are being reminded.") % {"count": written})
                return redirect("studio-survey", slug=campaign.slug)
            if form.is_valid():
                survey_save(
                    campaign=campaign,
                    user=request.user,
                    lock_at=form.cleaned_data["lock_at"],
                    asks_address=form.cleaned_data["asks_address"],
                    questions=form.questions(),
                )
                messages.success(request, _("The survey is saved."))
                return redirect("studio-survey", slug=campaign.slug)
        except ValidationError as error:
            form.add_service_errors(error.message_dict)
        except DomainError as error:
            form.add_error(None, error.message)
        status = 400
    context = {
        "campaign": campaign,
        "survey": survey,
        "form": form,
        "rates": survey_response_rates(survey) if survey else [],
        "preview": _preview(survey, request),
        "tiers": tiers,
    }
    return render(request, "web/studio/survey.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def studio_fulfilment(request, slug: str, upload=None, update=None, errors=None, status=200):
    campaign = _own_campaign(request, slug)
    context = {
        "campaign": campaign,
        "upload": upload or TrackingUploadForm(),
        "update": update or FulfilmentForm(),
        "errors": errors or [],
    }
    return render(request, "web/studio/fulfilment.html", context, status=status)


@login_required
@require_POST
def studio_fulfilment_upload(request, slug: str):
    campaign = _own_campaign(request, slug)
    form = TrackingUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            data = form.cleaned_data["file"].read(settings.FULFILMENT_CSV_MAX_BYTES + 1)
            updated = fulfilment_import_csv(campaign=campaign, user=request.user, data=data)
        except ValidationError as error:
            return _fulfilment_page(request, slug, upload=form, errors=error.message_dict.get("file", error.messages))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(count)d rewards marked shipped.") % {"count": updated})
            return redirect("studio-fulfilment", slug=campaign.slug)
    return _fulfilment_page(request, slug, upload=form)


def _fulfilment_page(request, slug: str, **context):
    request.method = "GET"  # the page is drawn again with what went wrong
    return studio_fulfilment(request, slug, status=400, **context)


@login_required
@require_POST
def studio_fulfilment_update(request, slug: str):
    campaign = _own_campaign(request, slug)
    form = FulfilmentForm(request.POST)
    if form.is_valid():
        values = dict(form.cleaned_data)
        pledge = Pledge.objects.filter(pk=values.pop("pledge"), campaign=campaign).first()
        if pledge is None:
            form.add_error("pledge", _("No pledge of this campaign has that ID."))
        else:
            try:
                fulfilment_update(pledge=pledge, user=request.user, **values)
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    for message in messages_:
                        form.add_error(field if field in form.fields else None, message)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Fulfilment updated."))
                return redirect("studio-fulfilment", slug=campaign.slug)
    return _fulfilment_page(request, slug, update=form)
