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


QUESTION_ROWS_EMPTY = 3


class SurveyBuildForm(forms.Form):
    """The survey's lock date and address, and rows of questions (a row without a question is skipped)."""

    lock_at = forms.DateTimeField(
        label=_("Answers are taken until (UTC)"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    asks_address = forms.BooleanField(label=_("Ask backers of shipping tiers for their address"), required=False)

    def __init__(self, *args: Any, tiers: list[tuple[int, str]], rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        tier_choices = [("", _("Every backer")), *((str(pk), title) for pk, title in tiers)]
        for row in range(rows):
            self.fields[f"prompt_{row}"] = forms.CharField(
                label=_("Question %(number)d") % {"number": row + 1},
                max_length=SurveyQuestion.PROMPT_MAX_LENGTH,
                required=False,
            )
            self.fields[f"kind_{row}"] = forms.ChoiceField(label=_("Kind"), choices=SurveyQuestion.Kind.choices)
            self.fields[f"tier_{row}"] = forms.ChoiceField(label=_("Asked of"), choices=tier_choices, required=False)
            self.fields[f"choices_{row}"] = forms.CharField(
                label=_("Choices, one per line"), widget=forms.Textarea(attrs={"rows": 3}), required=False
            )
            self.fields[f"required_{row}"] = forms.BooleanField(label=_("Required"), required=False)

    def row_fields(self) -> list[list[forms.BoundField]]:
        names = ("prompt", "kind", "tier", "choices", "required")
        return [[self[f"{name}_{row}"] for name in names] for row in range(self.rows)]

    def questions(self) -> list[dict[str, Any]]:
        found = []
        for row in range(self.rows):
            prompt = self.cleaned_data.get(f"prompt_{row}", "")
            if not prompt:
                continue
            tier = self.cleaned_data.get(f"tier_{row}")
            lines = self.cleaned_data.get(f"choices_{row}", "").splitlines()
            choices = [line.strip() for line in lines if line.strip()]
            found.append(
                {
                    "prompt": prompt,
                    "kind": self.cleaned_data[f"kind_{row}"],
                    "tier": int(tier) if tier else None,
                    "choices": choices,
                    "required": self.cleaned_data.get(f"required_{row}", False),
                }
            )
        return found

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            index = key.removeprefix("questions.")
            field = f"prompt_{index}" if index.isdigit() and f"prompt_{index}" in self.fields else key
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class TrackingUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV of tracking numbers"),
        help_text=_("Columns: Backer Number (or Pledge ID), Carrier, Tracking Number, and optionally Tracking URL."),
    )


class FulfilmentForm(forms.Form):
    pledge = forms.IntegerField(label=_("Pledge ID"), min_value=1)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("shipped", _("Shipped")), ("delivered", _("Delivered")), ("unfulfilled", _("Unfulfilled"))],
    )
    carrier = forms.CharField(label=_("Carrier"), max_length=60, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60, required=False)
    tracking_url = forms.CharField(label=_("Tracking link"), max_length=500, required=False)
