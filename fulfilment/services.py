"""Backer surveys and fulfilment: every write, each in one transaction.

E-mails go through the platform's one pipeline (core.mail), as creator updates do: a service
writes one FulfilmentMail row per backer and message (its key is unique, so a retried fan-out
or reminder writes nobody twice) and after the commit a sender task drains the unsent rows.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_language
from campaigns.models import Campaign
from core.bulk import insert_missing
from core.errors import Conflict, NotAllowed, TooManyRequests
from core.links import absolute_url
from core.mail import build_email, drain, render_email
from core.permissions import staff_may
from core.queue import enqueue_on_commit
from core.text import in_sentence, invisible_character
from fulfilment.addresses import validate_address
from fulfilment.models import Fulfilment, FulfilmentMail, Survey, SurveyQuestion, SurveyResponse
from fulfilment.selectors import (
    backer_numbers,
    pledge_needs_address,
    survey_non_responders,
    survey_pledges,
    survey_questions_for,
)
from fulfilment.tracking import looks_like_formula, tracking_number_error, tracking_url_error
from pledges.models import Pledge

MAX_QUESTIONS = 50
# The lock date is at most this far ahead: a survey is for shipping what was promised.
MAX_LOCK_AHEAD = timedelta(days=365)
SEND_BATCH = 200
SENDERS = 2
CHANGE_SURVEY = "fulfilment.change_survey"
CHANGE_FULFILMENT = "fulfilment.change_fulfilment"


def _check_manager(campaign: Campaign, user: User | AnonymousUser, permission: str) -> None:
    if campaign.creator_id != user.pk and not staff_may(user, permission):
        raise NotAllowed(_("Only the campaign's creator may do that."))


def _check_successful(campaign: Campaign) -> None:
    if campaign.state != Campaign.State.SUCCESSFUL:
        raise Conflict(
            _("Only a successful campaign has backers to survey and rewards to ship."), code="not_successful"
        )


def _text_error(value: object, *, max_length: int, required: bool) -> str | None:
    if not isinstance(value, str):
        return _("Expected text.")
    text = value.strip()
    if required and not text:
        return _("This field is required.")
    if len(text) > max_length:
        return _("At most %(count)d characters.") % {"count": max_length}
    if invisible_character(text) is not None:
        return _("Contains an invisible or control character.")
    return None


# --- building and sending a survey ---------------------------------------------------------


def _question_errors(raw: Any, tier_ids: set[int]) -> list[str]:
    if not isinstance(raw, dict):
        return [_("Each question is an object.")]
    errors: list[str] = []
    if raw.get("kind") not in SurveyQuestion.Kind.values:
        errors.append(_("kind must be one of %(kinds)s.") % {"kinds": ", ".join(SurveyQuestion.Kind.values)})
    prompt_error = _text_error(raw.get("prompt"), max_length=SurveyQuestion.PROMPT_MAX_LENGTH, required=True)
    if prompt_error:
        errors.append(_("prompt: %(error)s") % {"error": prompt_error})
    tier = raw.get("tier")
    if tier is not None and (not isinstance(tier, int) or isinstance(tier, bool) or tier not in tier_ids):
        errors.append(_("tier: not a tier of this campaign."))
    if not isinstance(raw.get("required", True), bool):
        errors.append(_("required: expected true or false."))
    choices = raw.get("choices") or []
    if raw.get("kind") == SurveyQuestion.Kind.TEXT:
        if choices:
            errors.append(_("A short-text question has no choices."))
    elif not isinstance(choices, list) or not 2 <= len(choices) <= SurveyQuestion.MAX_CHOICES:
        errors.append(_("Give between 2 and %(count)d choices.") % {"count": SurveyQuestion.MAX_CHOICES})
    else:
        for choice in choices:
            error = _text_error(choice, max_length=SurveyQuestion.CHOICE_MAX_LENGTH, required=True)
            if error:
                errors.append(_("choices: %(error)s") % {"error": error})
                break
        else:
            if len({c.strip() for c in choices}) != len(choices):
                errors.append(_("choices: each choice only once."))
    return errors


def _check_questions(campaign: Campaign, questions: list[Any]) -> None:
    if not isinstance(questions, list) or len(questions) > MAX_QUESTIONS:
        raise ValidationError({"questions": [_("At most %(count)d questions.") % {"count": MAX_QUESTIONS}]})
    tier_ids = set(campaign.rewards.values_list("pk", flat=True))
    errors = {
        f"questions.{index}": found for index, raw in enumerate(questions) if (found := _question_errors(raw, tier_ids))
    }
    if errors:
        raise ValidationError(errors)


def _check_lock_at(lock_at: datetime, now: datetime) -> None:
    if lock_at <= now:
        raise ValidationError({"lock_at": [_("The lock date must be in the future.")]})
    if lock_at > now + MAX_LOCK_AHEAD:
        raise ValidationError({"lock_at": [_("The lock date is at most a year ahead.")]})


@transaction.atomic
def survey_save(
    *,
    campaign: Campaign,
    user: User | AnonymousUser,
    lock_at: datetime,
    questions: list[Any],
    asks_address: bool = True,
    now: datetime | None = None,
) -> Survey:
    """Create the campaign's survey or replace its draft (questions in the order given)."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _check_manager(campaign, user, CHANGE_SURVEY)
    _check_successful(campaign)
    _check_lock_at(lock_at, now)
    _check_questions(campaign, questions)
    survey = Survey.objects.filter(campaign=campaign).first()
    if survey is not None and survey.state != Survey.State.DRAFT:
        raise Conflict(_("A sent survey cannot be changed."), code="survey_sent")
    if survey is None:
        survey = Survey.objects.create(campaign=campaign, lock_at=lock_at, asks_address=asks_address)
    else:
        survey.lock_at, survey.asks_address = lock_at, asks_address
        survey.save(update_fields=["lock_at", "asks_address", "updated_at"])
        survey.questions.all().delete()
    SurveyQuestion.objects.bulk_create(
        SurveyQuestion(
            survey=survey,
            position=position,
            tier_id=raw.get("tier"),
            kind=raw["kind"],
            prompt=raw["prompt"].strip(),
            choices=[c.strip() for c in raw.get("choices") or []],
            required=raw.get("required", True),
        )
        for position, raw in enumerate(questions, start=1)
    )
    return survey


@transaction.atomic
def survey_delete(*, survey: Survey, user: User | AnonymousUser) -> None:
    survey = Survey.objects.select_for_update().select_related("campaign").get(pk=survey.pk)
    _check_manager(survey.campaign, user, CHANGE_SURVEY)
    if survey.state != Survey.State.DRAFT:
        raise Conflict(_("A sent survey cannot be deleted."), code="survey_sent")
    survey.delete()


@transaction.atomic
def survey_send(*, survey: Survey, user: User | AnonymousUser, now: datetime | None = None) -> Survey:
    """Send the survey: each backer of a collected pledge gets one e-mail with a link to answer."""
    now = now or timezone.now()
    survey = Survey.objects.select_for_update().select_related("campaign").get(pk=survey.pk)
    _check_manager(survey.campaign, user, CHANGE_SURVEY)
    if survey.state != Survey.State.DRAFT:
        raise Conflict(_("This survey was sent already."), code="survey_sent")
    if survey.lock_at <= now:
        raise Conflict(_("The lock date has passed: choose a later one before sending."), code="survey_locked")
    if not survey.asks_address and not survey.questions.exists():
        raise Conflict(_("The survey asks nothing: add a question or the address."), code="survey_empty")
    survey.state, survey.sent_at = Survey.State.SENT, now
    survey.save(update_fields=["state", "sent_at", "updated_at"])
    enqueue_on_commit("fulfilment.tasks.fan_out_survey", survey.pk)
    return survey


def survey_mails_create(*, survey_id: int) -> int:
    """One invitation per collected pledge; a second run adds nobody. Returns how many were added."""
    survey = Survey.objects.get(pk=survey_id)
    pledges = survey_pledges(survey.campaign_id).order_by("pk").values_list("pk", flat=True)
    return _mails(FulfilmentMail.Kind.SURVEY, ((pk, f"survey:{pk}") for pk in pledges.iterator(chunk_size=1000)))


def surveys_without_mails_fan_out(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Sent surveys whose fan-out never ran (its message was lost): fanned out now."""
    lost = Survey.objects.filter(state=Survey.State.SENT, sent_at__lte=timezone.now() - older_than).exclude(
        campaign__pledges__fulfilment_mails__kind=FulfilmentMail.Kind.SURVEY
    )
    return sum(survey_mails_create(survey_id=survey_id) for survey_id in lost.values_list("pk", flat=True))


def _mails(kind: str, rows: Iterable[tuple[int, str]]) -> int:
    return insert_missing(
        FulfilmentMail,
        (FulfilmentMail(pledge_id=pledge_id, kind=kind, key=key) for pledge_id, key in rows),
        existing=FulfilmentMail.objects.filter(kind=kind),
    )


def _reminders(survey: Survey, tag: str) -> int:
    pledges = survey_non_responders(survey).order_by("pk").values_list("pk", flat=True)
    return _mails(
        FulfilmentMail.Kind.REMINDER, ((pk, f"reminder:{pk}:{tag}") for pk in pledges.iterator(chunk_size=1000))
    )


def survey_reminders_due(*, now: datetime | None = None) -> int:
    """Beat: those who have not answered hear again SURVEY_REMINDER_DAYS after the survey was sent,
    once per reminder, until the lock date. Returns how many e-mails were written."""
    now = now or timezone.now()
    written = 0
    days_list: list[int] = settings.SURVEY_REMINDER_DAYS
    surveys = Survey.objects.filter(state=Survey.State.SENT, lock_at__gt=now, sent_at__isnull=False)
    for survey in surveys:
        assert survey.sent_at is not None  # filtered above
        for days in days_list:
            if survey.sent_at + timedelta(days=days) <= now:
                written += _reminders(survey, f"day{days}")
    if written:
        enqueue_on_commit("fulfilment.tasks.send_fulfilment_mail")
    return written


@transaction.atomic
def survey_remind(*, survey: Survey, user: User | AnonymousUser, now: datetime | None = None) -> int:
    """The creator reminds those who have not answered: each once per reminder, at most one
    reminder per SURVEY_MANUAL_REMINDER_INTERVAL. Returns how many e-mails were written."""
    now = now or timezone.now()
    survey = Survey.objects.select_for_update().select_related("campaign").get(pk=survey.pk)
    _check_manager(survey.campaign, user, CHANGE_SURVEY)
    if survey.state != Survey.State.SENT:
        raise Conflict(_("Send the survey before reminding anyone."), code="survey_not_sent")
    if survey.lock_at <= now:
        raise Conflict(_("The survey is locked: answers can no longer be given."), code="survey_locked")
    interval: timedelta = settings.SURVEY_MANUAL_REMINDER_INTERVAL
    last = survey.last_manual_reminder_at
    if last is not None and now < last + interval:
        wait = int((last + interval - now).total_seconds()) + 1
        raise TooManyRequests(
            _("Backers were reminded recently; you can remind them again later."),
            retry_after=wait,
            code="reminded_recently",
        )
    survey.manual_reminders += 1
    survey.last_manual_reminder_at = now
    survey.save(update_fields=["manual_reminders", "last_manual_reminder_at", "updated_at"])
    written = _reminders(survey, f"manual{survey.manual_reminders}")
    enqueue_on_commit("fulfilment.tasks.send_fulfilment_mail")
    return written


# --- answering ---------------------------------------------------------------------------


def _answer_error(question: SurveyQuestion, value: Any) -> str | None:
    empty = value is None or value == "" or value == []
    if empty:
        return _("This question needs an answer.") if question.required else None
    if question.kind == SurveyQuestion.Kind.TEXT:
        return _text_error(value, max_length=SurveyQuestion.ANSWER_MAX_LENGTH, required=question.required)
    if question.kind == SurveyQuestion.Kind.CHOICE:
        return None if isinstance(value, str) and value in question.choices else _("Pick one of the choices.")
    if not isinstance(value, list) or not all(isinstance(v, str) and v in question.choices for v in value):
        return _("Pick from the choices.")
    return None if len(set(value)) == len(value) else _("Each choice only once.")


def _clean_answers(questions: list[SurveyQuestion], answers: Any) -> dict[str, Any]:
    if not isinstance(answers, dict):
        raise ValidationError({"answers": [_("Expected an object of answers by question id.")]})
    known = {str(q.pk): q for q in questions}
    errors = {f"answers.{key}"[:60]: [_("Not a question of your survey.")] for key in answers if key not in known}
    cleaned: dict[str, Any] = {}
    for key, question in known.items():
        value = answers.get(key)
        error = _answer_error(question, value)
        if error:
            errors[f"answers.{key}"] = [error]
        elif value not in (None, "", []):
            cleaned[key] = value.strip() if isinstance(value, str) else value
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def survey_answer(
    *,
    pledge: Pledge,
    user: User | AnonymousUser,
    answers: Any,
    address: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> SurveyResponse:
    """The backer answers, or changes their answers, until the survey's lock date."""
    now = now or timezone.now()
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("reward", "campaign").get(pk=pledge.pk)
    if pledge.backer_id != user.pk:
        raise NotAllowed(_("This pledge belongs to someone else."))
    survey = Survey.objects.filter(campaign_id=pledge.campaign_id, state=Survey.State.SENT).first()
    if survey is None or pledge.state != Pledge.State.COLLECTED:
        raise Conflict(_("There is no survey for this pledge."), code="no_survey")
    if now >= survey.lock_at:
        raise Conflict(_("The survey is locked: answers can no longer be changed."), code="survey_locked")
    cleaned = _clean_answers(survey_questions_for(survey, pledge), answers)
    fields: dict[str, Any] = {"answers": cleaned, "updated_at": now}
    if survey.asks_address and pledge_needs_address(pledge):
        if not isinstance(address, dict):
            raise ValidationError({"address": [_("Where should the reward be shipped?")]})
        fields.update(validate_address(address).as_dict())
    response, _created = SurveyResponse.objects.update_or_create(
        pledge=pledge, defaults=fields, create_defaults={**fields, "survey": survey, "submitted_at": now}
    )
    return response


# --- fulfilment --------------------------------------------------------------------------


def _check_fulfillable(pledge: Pledge) -> None:
    if pledge.state != Pledge.State.COLLECTED or pledge.campaign.state != Campaign.State.SUCCESSFUL:
        raise Conflict(_("Only a collected pledge of a successful campaign is fulfilled."), code="not_fulfillable")


def _shipping_errors(carrier: Any, tracking_number: Any, tracking_url: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    carrier_error = _text_error(carrier, max_length=Fulfilment.CARRIER_MAX_LENGTH, required=True)
    if carrier_error is None and looks_like_formula(carrier):
        carrier_error = _("A carrier's name cannot start with = + - @.")
    if carrier_error:
        errors["carrier"] = [carrier_error]
    tracking_error = tracking_number_error(tracking_number, max_length=Fulfilment.TRACKING_MAX_LENGTH)
    if tracking_error:
        errors["tracking_number"] = [tracking_error]
    url_error = tracking_url_error(tracking_url, max_length=Fulfilment.URL_MAX_LENGTH)
    if url_error:
        errors["tracking_url"] = [url_error]
    return errors


def _ship(fulfilment: Fulfilment, carrier: str, tracking: str, url: str, now: datetime) -> bool:
    """Mark shipped; True when the backer should hear of it (new or changed tracking)."""
    changed = fulfilment.status != Fulfilment.Status.SHIPPED or fulfilment.tracking_number != tracking
    if fulfilment.status != Fulfilment.Status.SHIPPED:
        fulfilment.shipped_at = now
    fulfilment.status = Fulfilment.Status.SHIPPED
    fulfilment.carrier, fulfilment.tracking_number, fulfilment.tracking_url = carrier, tracking, url
    fulfilment.updated_at = now
    return changed


def _tell_shipped(pledge_ids: list[tuple[int, str]]) -> None:
    _mails(FulfilmentMail.Kind.SHIPPED, ((pk, f"shipped:{pk}:{tracking}") for pk, tracking in pledge_ids))
    enqueue_on_commit("fulfilment.tasks.send_fulfilment_mail")


def _locked_fulfilment(pledge: Pledge, now: datetime) -> Fulfilment:
    Fulfilment.objects.bulk_create([Fulfilment(pledge=pledge, updated_at=now)], ignore_conflicts=True)
    return Fulfilment.objects.select_for_update().get(pledge=pledge)


@transaction.atomic
def fulfilment_update(
    *,
    pledge: Pledge,
    user: User | AnonymousUser,
    status: str,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
    now: datetime | None = None,
) -> Fulfilment:
    """The creator moves one pledge: unfulfilled → shipped (carrier, tracking) → delivered; a
    shipped one may get corrected tracking or go back to unfulfilled. A received one is final."""
    now = now or timezone.now()
    pledge = Pledge.objects.select_related("campaign").get(pk=pledge.pk)
    _check_manager(pledge.campaign, user, CHANGE_FULFILMENT)
    _check_fulfillable(pledge)
    statuses = Fulfilment.Status
    if status not in statuses.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    fulfilment = _locked_fulfilment(pledge, now)
    current = fulfilment.status
    allowed = {
        statuses.UNFULFILLED: {statuses.SHIPPED},
        statuses.SHIPPED: {statuses.SHIPPED, statuses.DELIVERED, statuses.UNFULFILLED},
        statuses.DELIVERED: {statuses.SHIPPED},
        statuses.RECEIVED: set(),
    }[statuses(current)]
    if status not in allowed:
        raise Conflict(
            _("A reward that is %(current)s cannot be marked %(status)s.")
            % {"current": in_sentence(statuses(current).label), "status": in_sentence(statuses(status).label)},
            code="invalid_transition",
        )
    if status == statuses.SHIPPED:
        errors = _shipping_errors(carrier, tracking_number, tracking_url)
        if errors:
            raise ValidationError(errors)
        if _ship(fulfilment, carrier.strip(), tracking_number.strip(), tracking_url.strip(), now):
            _tell_shipped([(pledge.pk, fulfilment.tracking_number)])
    elif status == statuses.DELIVERED:
        fulfilment.status, fulfilment.delivered_at, fulfilment.updated_at = status, now, now
    else:
        fulfilment.status, fulfilment.updated_at = status, now
        fulfilment.carrier = fulfilment.tracking_number = fulfilment.tracking_url = ""
        fulfilment.shipped_at = None
    fulfilment.save()
    return fulfilment


@transaction.atomic
def fulfilment_mark_received(*, pledge: Pledge, user: User | AnonymousUser, now: datetime | None = None) -> Fulfilment:
    """The backer says their reward arrived."""
    now = now or timezone.now()
    pledge = Pledge.objects.select_related("campaign").get(pk=pledge.pk)
    if pledge.backer_id != user.pk:
        raise NotAllowed(_("This pledge belongs to someone else."))
    _check_fulfillable(pledge)
    fulfilment = _locked_fulfilment(pledge, now)
    if fulfilment.status not in (Fulfilment.Status.SHIPPED, Fulfilment.Status.DELIVERED):
        raise Conflict(_("Only a shipped reward can be marked received."), code="not_shipped")
    fulfilment.status, fulfilment.delivered_at, fulfilment.updated_at = Fulfilment.Status.RECEIVED, now, now
    fulfilment.save(update_fields=["status", "delivered_at", "updated_at"])
    return fulfilment


# --- sending -----------------------------------------------------------------------------


def _mail_context(mail: FulfilmentMail) -> dict[str, Any] | None:
    pledge = mail.pledge
    context: dict[str, Any] = {"user": pledge.backer, "campaign": pledge.campaign, "pledge": pledge}
    if mail.kind == FulfilmentMail.Kind.SHIPPED:
        fulfilment = Fulfilment.objects.filter(pledge=pledge, status=Fulfilment.Status.SHIPPED).first()
        if fulfilment is None:
            return None  # taken back before the e-mail went
        context.update(fulfilment=fulfilment, pledges_url=absolute_url("my-pledges"))
        return context
    survey = Survey.objects.filter(campaign_id=pledge.campaign_id, state=Survey.State.SENT).first()
    if survey is None or survey.lock_at <= timezone.now():
        return None
    if mail.kind == FulfilmentMail.Kind.REMINDER and SurveyResponse.objects.filter(pledge=pledge).exists():
        return None  # answered since the reminder was written
    context.update(survey=survey, survey_url=absolute_url("my-pledge-survey", pledge.pk))
    return context


def _build(mail: FulfilmentMail) -> EmailMultiAlternatives | None:
    user = mail.pledge.backer
    if not user.email:
        return None
    context = _mail_context(mail)
    if context is None:
        return None  # nothing to say any more: the row is marked and never retried
    template = {"survey": "survey_invite", "reminder": "survey_reminder", "shipped": "reward_shipped"}[mail.kind]
    subject, text, html = render_email(template, context, unsubscribe=None, language=user_language(user))
    return build_email(to=user.email, subject=subject, text=text, html=html, message_id=f"fulfilment-{mail.pk}")


def fulfilment_mails_send(*, limit: int = SEND_BATCH) -> int:
    return drain(
        lambda: FulfilmentMail.objects.select_related("pledge__backer__profile", "pledge__campaign"),
        _build,
        limit=limit,
    )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- tracking numbers by CSV -------------------------------------------------------------

# Header names taken (case and spaces aside); one of the two pledge columns is needed.
_COLUMNS = {
    "backer number": "number",
    "pledge id": "pledge",
    "carrier": "carrier",
    "tracking number": "tracking",
    "tracking": "tracking",
    "tracking url": "url",
}
MAX_REPORTED_ERRORS = 50


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of a CSV file; a ValidationError when it is not UTF-8 text."""
    import csv
    import io

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("The file is not UTF-8 text.")]}) from None
    if "\x00" in text:
        raise ValidationError({"file": [_("The file is not a CSV file.")]})
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as error:
        raise ValidationError({"file": [_("Line %(line)d: %(error)s") % {"line": line, "error": error}]}) from None


def _header(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _COLUMNS.get(" ".join(cell.strip().lower().split()))
        if name is not None:
            if name in columns:
                raise ValidationError({"file": [_("Line 1: the column %(name)s appears twice.") % {"name": cell}]})
            columns[name] = index
    if ("number" in columns) == ("pledge" in columns) or "carrier" not in columns or "tracking" not in columns:
        raise ValidationError(
            {
                "file": [
                    _(
                        "Line 1: the header needs a Backer Number or a Pledge ID column (one of them), "
                        "Carrier and Tracking Number; Tracking URL is optional."
                    )
                ]
            }
        )
    return columns


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    value = cells[index].strip() if index is not None and index < len(cells) else ""
    # A quote our own report put before a formula-like cell is not part of the value.
    return value[1:] if value.startswith("'") else value


def _parse_tracking_csv(campaign: Campaign, data: bytes) -> list[tuple[int, int, str, str, str]]:
    """(line, pledge id, carrier, tracking, url) of every row, or a ValidationError listing the
    wrong lines by number (at most MAX_REPORTED_ERRORS of them)."""
    max_bytes: int = settings.FULFILMENT_CSV_MAX_BYTES
    max_rows: int = settings.FULFILMENT_CSV_MAX_ROWS
    if len(data) > max_bytes:
        raise ValidationError(
            {"file": [_("The file is too large: at most %(size)d KB.") % {"size": max_bytes // 1024}]}
        )
    rows = _csv_rows(data)
    first = next(rows, None)
    if first is None:
        raise ValidationError({"file": [_("The file is empty.")]})
    columns = _header(first[1])
    numbers = backer_numbers(campaign.pk) if "number" in columns else {}
    collected = set(survey_pledges(campaign.pk).values_list("pk", flat=True))
    errors: list[str] = []
    parsed: list[tuple[int, int, str, str, str]] = []
    seen: dict[int, int] = {}
    for line, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        if len(parsed) + len(errors) >= max_rows:
            raise ValidationError({"file": [_("At most %(count)d rows per file.") % {"count": max_rows}]})
        problem, pledge_id = _row_pledge(cells, columns, numbers, collected)
        carrier, tracking, url = (_cell(cells, columns, name) for name in ("carrier", "tracking", "url"))
        if problem is None:
            found = _shipping_errors(carrier, tracking, url)
            problem = "; ".join(f"{field}: {message}" for field, messages in found.items() for message in messages)
        if not problem and pledge_id in seen:
            problem = _("this pledge is on line %(line)d too.") % {"line": seen[pledge_id]}
        if problem:
            errors.append(_("Line %(line)d: %(error)s") % {"line": line, "error": problem})
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
            continue
        seen[pledge_id] = line
        parsed.append((line, pledge_id, carrier, tracking, url))
    if errors:
        raise ValidationError({"file": errors})
    if not parsed:
        raise ValidationError({"file": [_("The file has no rows.")]})
    return parsed


def _row_pledge(
    cells: list[str], columns: dict[str, int], numbers: dict[int, int], collected: set[int]
) -> tuple[str | None, int]:
    key = "number" if "number" in columns else "pledge"
    raw = _cell(cells, columns, key)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        label = _("Backer Number") if key == "number" else _("Pledge ID")
        return _("%(column)s must be a whole number.") % {"column": label}, 0
    pledge_id = numbers.get(int(raw), 0) if key == "number" else int(raw)
    if pledge_id not in collected:
        return _("no collected pledge of this campaign has that number."), 0
    return None, pledge_id


@transaction.atomic
def fulfilment_import_csv(
    *, campaign: Campaign, user: User | AnonymousUser, data: bytes, now: datetime | None = None
) -> int:
    """Mark the pledges of a CSV of tracking numbers shipped: every row or none. Returns how
    many pledges changed; their backers are told by e-mail."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _check_manager(campaign, user, CHANGE_FULFILMENT)
    _check_successful(campaign)
    rows = _parse_tracking_csv(campaign, data)
    pledge_ids = [pledge_id for _line, pledge_id, *_rest in rows]
    Fulfilment.objects.bulk_create(
        [Fulfilment(pledge_id=pk, updated_at=now) for pk in pledge_ids], ignore_conflicts=True, batch_size=2000
    )
    current: dict[int, Fulfilment] = {}
    for chunk in _chunks(pledge_ids, 5000):
        current.update((f.pledge_id, f) for f in Fulfilment.objects.select_for_update().filter(pledge_id__in=chunk))
    final = (Fulfilment.Status.RECEIVED,)
    refused = [
        _("Line %(line)d: the backer marked this reward received.") % {"line": line}
        for line, pledge_id, *_rest in rows
        if current[pledge_id].status in final
    ]
    if refused:
        raise ValidationError({"file": refused[:MAX_REPORTED_ERRORS]})
    changed, tell = [], []
    for _line, pledge_id, carrier, tracking, url in rows:
        fulfilment = current[pledge_id]
        before = (fulfilment.status, fulfilment.carrier, fulfilment.tracking_number, fulfilment.tracking_url)
        if _ship(fulfilment, carrier, tracking, url, now):
            tell.append((pledge_id, tracking))
        if before != (fulfilment.status, fulfilment.carrier, fulfilment.tracking_number, fulfilment.tracking_url):
            changed.append(fulfilment)
    Fulfilment.objects.bulk_update(
        changed,
        ["status", "carrier", "tracking_number", "tracking_url", "shipped_at", "updated_at"],
        batch_size=1000,
    )
    if tell:
        _tell_shipped(tell)
    return len(changed)
