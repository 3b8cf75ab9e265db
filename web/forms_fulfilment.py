"""The backer's survey form: its fields follow the survey's questions and, when the reward
ships, the address a country's format needs (checked by fulfilment.addresses)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fulfilment.addresses import MAX_LENGTHS, country_choices
from fulfilment.models import SurveyQuestion

ADDRESS_LABELS = {
    "name": _("Full name"),
    "address1": _("Address"),
    "address2": _("Address line 2"),
    "city": _("City"),
    "state": _("State, province or region"),
    "postal_code": _("Postal code"),
    "phone": _("Phone number"),
}
AUTOCOMPLETE = {
    "name": "name",
    "address1": "address-line1",
    "address2": "address-line2",
    "city": "address-level2",
    "state": "address-level1",
    "postal_code": "postal-code",
    "country": "country",
    "phone": "tel",
}


def question_field(question: SurveyQuestion) -> forms.Field:
    options: dict[str, Any] = {"label": question.prompt, "required": question.required}
    if question.kind == SurveyQuestion.Kind.TEXT:
        return forms.CharField(max_length=SurveyQuestion.ANSWER_MAX_LENGTH, **options)
    choices = [(choice, choice) for choice in question.choices]
    if question.kind == SurveyQuestion.Kind.CHOICE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **options)
    return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **options)


class SurveyAnswerForm(forms.Form):
    def __init__(self, *args: Any, questions: list[SurveyQuestion], needs_address: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.needs_address = needs_address
        for question in questions:
            self.fields[f"q{question.pk}"] = question_field(question)
        if needs_address:
            for name, label in ADDRESS_LABELS.items():
                required = name in ("name", "address1")
                self.fields[name] = forms.CharField(label=label, max_length=MAX_LENGTHS[name], required=required)
            self.fields["country"] = forms.ChoiceField(label=_("Country"), choices=[("", "—"), *country_choices()])
            for name, token in AUTOCOMPLETE.items():
                self.fields[name].widget.attrs["autocomplete"] = token

    def answers(self) -> dict[str, Any]:
        return {str(q.pk): self.cleaned_data.get(f"q{q.pk}") for q in self.questions}

    def address(self) -> dict[str, Any] | None:
        if not self.needs_address:
            return None
        return {name: self.cleaned_data.get(name, "") for name in AUTOCOMPLETE}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = f"q{key.removeprefix('answers.')}" if key.startswith("answers.") else key
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
