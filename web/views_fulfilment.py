"""The backer's survey page and "received"; each change is one call to the service the API calls."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from fulfilment.models import Survey, SurveyResponse
from fulfilment.selectors import pledge_needs_address, prefill_country, survey_questions_for
from fulfilment.services import fulfilment_mark_received, survey_answer
from pledges.models import Pledge
from web.forms_fulfilment import SurveyAnswerForm


def _own_pledge(request, pledge_id: int) -> Pledge:
    mine = Pledge.objects.filter(backer=request.user).select_related("reward", "campaign")
    return get_object_or_404(mine, pk=pledge_id)


def _initial(response: SurveyResponse | None, pledge: Pledge) -> dict:
    if response is None:
        return {"country": prefill_country(pledge)}
    initial = {f"q{key}": value for key, value in response.answers.items()}
    for name in ("name", "address1", "address2", "city", "state", "postal_code", "country", "phone"):
        initial[name] = getattr(response, name)
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def pledge_survey(request, pledge_id: int):
    pledge = _own_pledge(request, pledge_id)
    survey = Survey.objects.filter(campaign_id=pledge.campaign_id, state=Survey.State.SENT).first()
    if survey is None or pledge.state != Pledge.State.COLLECTED:
        raise Http404("No survey for this pledge.")
    response = SurveyResponse.objects.filter(pledge=pledge).first()
    editable = timezone.now() < survey.lock_at
    questions = survey_questions_for(survey, pledge)
    needs_address = survey.asks_address and pledge_needs_address(pledge)
    status = 200
    if request.method == "POST" and editable:
        form = SurveyAnswerForm(request.POST, questions=questions, needs_address=needs_address)
        if form.is_valid():
            try:
                survey_answer(pledge=pledge, user=request.user, answers=form.answers(), address=form.address())
            except ValidationError as error:
                form.add_service_errors(error.message_dict)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Thank you: your answers are saved."))
                return redirect("my-pledge-survey", pledge.pk)
        status = 400
    else:
        form = SurveyAnswerForm(initial=_initial(response, pledge), questions=questions, needs_address=needs_address)
    context = {
        "pledge": pledge,
        "campaign": pledge.campaign,
        "survey": survey,
        "form": form,
        "response": response,
        "editable": editable,
    }
    return render(request, "web/pledges/survey.html", context, status=status)


@login_required
@require_POST
def pledge_received(request, pledge_id: int):
    pledge = _own_pledge(request, pledge_id)
    try:
        fulfilment_mark_received(pledge=pledge, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you: your reward is marked received."))
    return redirect("my-pledges")
