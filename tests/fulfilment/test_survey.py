"""Building, sending and answering a backer survey; reminders; response rates."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict, NotAllowed, TooManyRequests
from fulfilment.models import FulfilmentMail, Survey, SurveyResponse
from fulfilment.selectors import survey_response_rates
from fulfilment.services import (
    fulfilment_mails_send,
    survey_answer,
    survey_mails_create,
    survey_remind,
    survey_reminders_due,
    survey_save,
    survey_send,
)
from tests import factories
from tests.fulfilment.conftest import GOOD_DE_ADDRESS, questions

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # funded: conftest.py


def _answers(survey, pledge, **by_prompt):
    ids = {q.prompt: str(q.pk) for q in survey.questions.all()}
    return {ids[prompt]: value for prompt, value in by_prompt.items()}


def test_a_survey_is_built_only_after_a_successful_close_and_only_by_its_creator(funded, creator):
    live = factories.LiveCampaignFactory(creator=creator)
    lock = timezone.now() + timedelta(days=10)

    with pytest.raises(Conflict):
        survey_save(campaign=live, user=creator, lock_at=lock, questions=[])
    with pytest.raises(NotAllowed):
        survey_save(campaign=funded["campaign"], user=factories.UserFactory(), lock_at=lock, questions=[])
    survey = survey_save(campaign=funded["campaign"], user=creator, lock_at=lock, questions=questions(funded))

    assert [(q.position, q.kind, q.tier_id) for q in survey.questions.order_by("position")] == [
        (1, "text", None),
        (2, "choice", funded["vinyl"].pk),
        (3, "choices", funded["vinyl"].pk),
    ]


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"kind": "essay", "prompt": "?"}, "questions.0"),
        ({"kind": "text", "prompt": ""}, "questions.0"),
        ({"kind": "text", "prompt": "x" * 201}, "questions.0"),
        ({"kind": "text", "prompt": "Name\u202e"}, "questions.0"),
        ({"kind": "text", "prompt": "Name", "choices": ["a", "b"]}, "questions.0"),
        ({"kind": "choice", "prompt": "Size", "choices": ["S"]}, "questions.0"),
        ({"kind": "choice", "prompt": "Size", "choices": ["S", "S"]}, "questions.0"),
        ({"kind": "choice", "prompt": "Size", "choices": ["S", "M"], "tier": 999_999}, "questions.0"),
    ],
)
def test_bad_questions_are_refused_by_field(funded, creator, question, field):
    with pytest.raises(ValidationError) as refused:
        survey_save(
            campaign=funded["campaign"],
            user=creator,
            lock_at=timezone.now() + timedelta(days=3),
            questions=[question],
        )
    assert list(refused.value.message_dict) == [field]
    assert not Survey.objects.exists()


def test_another_campaigns_tier_is_not_a_tier_of_this_survey(funded, creator):
    other = factories.LiveCampaignFactory(rewards=[{"title": "Other", "minimum": Decimal("5")}]).rewards.get()
    with pytest.raises(ValidationError):
        survey_save(
            campaign=funded["campaign"],
            user=creator,
            lock_at=timezone.now() + timedelta(days=3),
            questions=[{"kind": "choice", "prompt": "Size", "choices": ["S", "M"], "tier": other.pk}],
        )


def test_sending_mails_each_backer_of_a_collected_pledge_once_even_when_repeated(sent_survey, funded):
    assert survey_mails_create(survey_id=sent_survey.pk) == 4
    assert survey_mails_create(survey_id=sent_survey.pk) == 0  # a retried fan-out adds nobody
    mail.outbox.clear()

    assert fulfilment_mails_send() == 4
    assert fulfilment_mails_send() == 0

    backers = sorted(p.backer.email for p in funded["pledges"].values())
    assert sorted(m.to[0] for m in mail.outbox) == backers
    vinyl = funded["pledges"]["vinyl"]
    (message,) = [m for m in mail.outbox if m.to == [vinyl.backer.email]]
    assert f"/me/pledges/{vinyl.pk}/survey/" in message.body
    with pytest.raises(Conflict):
        survey_send(survey=sent_survey, user=funded["campaign"].creator)
    with pytest.raises(Conflict):
        survey_save(
            campaign=funded["campaign"],
            user=funded["campaign"].creator,
            lock_at=timezone.now() + timedelta(days=5),
            questions=[],
        )


def test_the_invitation_is_written_in_the_backers_language(sent_survey, funded):
    backer = funded["pledges"]["digital"].backer
    backer.profile.language = "de"
    backer.profile.save()
    survey_mails_create(survey_id=sent_survey.pk)
    mail.outbox.clear()

    fulfilment_mails_send()

    (message,) = [m for m in mail.outbox if m.to == [backer.email]]
    assert message.subject == "Ihre Belohnung von The new RECORD, ART BOOK, and TOUR: ein paar Fragen"


def test_a_backer_answers_their_tiers_questions_and_edits_until_the_lock_date(sent_survey, funded):
    pledge = funded["pledges"]["vinyl"]
    answers = _answers(sent_survey, pledge, **{"Name for the credits": "Anna", "Vinyl colour": "Red"})

    first = survey_answer(pledge=pledge, user=pledge.backer, answers=answers, address=GOOD_DE_ADDRESS)
    answers[str(sent_survey.questions.get(prompt="Bonus tracks").pk)] = ["Live", "Remix"]
    second = survey_answer(pledge=pledge, user=pledge.backer, answers=answers, address=GOOD_DE_ADDRESS)

    assert first.pk == second.pk
    second.refresh_from_db()
    assert second.answers[str(sent_survey.questions.get(prompt="Bonus tracks").pk)] == ["Live", "Remix"]
    assert (second.city, second.postal_code, second.country) == ("Berlin", "10117", "DE")
    with time_machine.travel(sent_survey.lock_at + timedelta(seconds=1)), pytest.raises(Conflict) as locked:
        survey_answer(pledge=pledge, user=pledge.backer, answers=answers, address=GOOD_DE_ADDRESS)
    assert locked.value.code == "survey_locked"


def test_a_digital_backer_is_not_asked_for_an_address_nor_the_vinyl_questions(sent_survey, funded):
    pledge = funded["pledges"]["digital"]
    vinyl_only = _answers(sent_survey, pledge, **{"Vinyl colour": "Red"})

    with pytest.raises(ValidationError) as refused:
        survey_answer(
            pledge=pledge,
            user=pledge.backer,
            answers={**vinyl_only, **_answers(sent_survey, pledge, **{"Name for the credits": "Bo"})},
        )
    assert list(refused.value.message_dict) == [f"answers.{next(iter(vinyl_only))}"]

    response = survey_answer(
        pledge=pledge, user=pledge.backer, answers=_answers(sent_survey, pledge, **{"Name for the credits": "Bo"})
    )
    assert (response.country, response.address1) == ("", "")


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"Name for the credits": "", "Vinyl colour": "Red"}, "Name for the credits"),
        ({"Name for the credits": "x" * 501, "Vinyl colour": "Red"}, "Name for the credits"),
        ({"Name for the credits": "Anna\x00", "Vinyl colour": "Red"}, "Name for the credits"),
        ({"Name for the credits": "Anna", "Vinyl colour": "Green"}, "Vinyl colour"),
        ({"Name for the credits": "Anna", "Vinyl colour": ["Red"]}, "Vinyl colour"),
        ({"Name for the credits": "Anna", "Vinyl colour": "Red", "Bonus tracks": ["Live", "Live"]}, "Bonus tracks"),
        ({"Name for the credits": "Anna", "Vinyl colour": "Red", "Bonus tracks": "Live"}, "Bonus tracks"),
    ],
)
def test_wrong_answers_are_refused_by_question(sent_survey, funded, answers, field):
    pledge = funded["pledges"]["vinyl"]
    with pytest.raises(ValidationError) as refused:
        survey_answer(
            pledge=pledge, user=pledge.backer, answers=_answers(sent_survey, pledge, **answers), address=GOOD_DE_ADDRESS
        )
    question = sent_survey.questions.get(prompt=field)
    assert list(refused.value.message_dict) == [f"answers.{question.pk}"]
    assert not SurveyResponse.objects.exists()


def test_nobody_answers_for_someone_else(sent_survey, funded):
    pledge = funded["pledges"]["digital"]
    with pytest.raises(NotAllowed):
        survey_answer(pledge=pledge, user=funded["pledges"]["vinyl"].backer, answers={})


def test_reminders_go_after_three_and_seven_days_to_those_who_have_not_answered(sent_survey, funded):
    answered = funded["pledges"]["digital"]
    survey_answer(
        pledge=answered, user=answered.backer, answers=_answers(sent_survey, answered, **{"Name for the credits": "Bo"})
    )
    sent_at = sent_survey.sent_at

    with time_machine.travel(sent_at + timedelta(days=2, hours=23)):
        assert survey_reminders_due() == 0
    with time_machine.travel(sent_at + timedelta(days=3, minutes=1)):
        assert survey_reminders_due() == 3
        assert survey_reminders_due() == 0  # the next sweep adds nobody
    with time_machine.travel(sent_at + timedelta(days=7, minutes=1)):
        assert survey_reminders_due() == 3
        assert survey_reminders_due() == 0
        mail.outbox.clear()
        assert fulfilment_mails_send() == 6

    reminded = FulfilmentMail.objects.filter(kind="reminder").values_list("pledge_id", flat=True)
    assert answered.pk not in set(reminded)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        2 * [p.backer.email for name, p in funded["pledges"].items() if name != "digital"]
    )


def test_the_reminder_days_are_a_setting(sent_survey, settings):
    settings.SURVEY_REMINDER_DAYS = [1]
    with time_machine.travel(sent_survey.sent_at + timedelta(days=1, minutes=1)):
        assert survey_reminders_due() == 4


def test_no_reminder_after_the_lock_date(sent_survey):
    with time_machine.travel(sent_survey.lock_at + timedelta(minutes=1)):
        assert survey_reminders_due() == 0


def test_a_reminder_written_before_an_answer_is_not_sent_after_it(sent_survey, funded):
    pledge = funded["pledges"]["digital"]
    with time_machine.travel(sent_survey.sent_at + timedelta(days=3, minutes=1)):
        survey_reminders_due()
    survey_answer(
        pledge=pledge, user=pledge.backer, answers=_answers(sent_survey, pledge, **{"Name for the credits": "Bo"})
    )
    mail.outbox.clear()

    fulfilment_mails_send()

    assert pledge.backer.email not in [m.to[0] for m in mail.outbox]


def test_the_creator_reminds_non_responders_once_per_interval(sent_survey, funded, settings):
    creator = funded["campaign"].creator
    pledge = funded["pledges"]["digital"]
    survey_answer(
        pledge=pledge, user=pledge.backer, answers=_answers(sent_survey, pledge, **{"Name for the credits": "Bo"})
    )

    assert survey_remind(survey=sent_survey, user=creator) == 3
    with pytest.raises(TooManyRequests) as too_soon:
        survey_remind(survey=sent_survey, user=creator)
    assert too_soon.value.retry_after == 86400
    with pytest.raises(NotAllowed):
        survey_remind(survey=sent_survey, user=pledge.backer)
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert survey_remind(survey=sent_survey, user=creator) == 3

    assert FulfilmentMail.objects.filter(kind="reminder").count() == 6


def test_response_rates_per_tier(sent_survey, funded):
    vinyl = funded["pledges"]["vinyl"]
    survey_answer(
        pledge=vinyl,
        user=vinyl.backer,
        answers=_answers(sent_survey, vinyl, **{"Name for the credits": "Anna", "Vinyl colour": "Black"}),
        address=GOOD_DE_ADDRESS,
    )

    assert survey_response_rates(sent_survey) == [
        {"tier": funded["digital"].pk, "title": "Digital album", "backers": 1, "answered": 0, "percent": 0},
        {"tier": funded["vinyl"].pk, "title": "Vinyl", "backers": 2, "answered": 1, "percent": 50},
        {"tier": None, "title": "", "backers": 1, "answered": 0, "percent": 0},
    ]
