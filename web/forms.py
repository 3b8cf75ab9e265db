"""Forms of the web pages: they read what people type; the services decide what is allowed."""

from decimal import Decimal
from typing import cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_countries import countries

from accounts.mails import send_no_account_for_reset
from accounts.mfa import CODE_MAX_LENGTH
from accounts.selectors import user_language
from accounts.services import available_time_zones
from accounts.signin import SignIn, signin_password
from campaigns.models import Campaign, Category
from core.errors import ServiceUnavailable
from core.money import SUPPORTED_CURRENCIES, is_plain_amount
from rewards.models import AddOn, RewardTier
from rewards.regions import Region
from updates.models import CampaignUpdate

User = get_user_model()

NO_REWARD = ""

# Django's own messages that our catalogue (LOCALE_PATHS, which wins over every app's) words again:
# Django's German is impersonal ("Bitte ... eingeben"), but DRF's catalogue, which comes before
# Django's, says this one with "du"; the site says "Sie".
DJANGO_MESSAGES_REWORDED = (gettext_noop("Enter a valid email address."),)


class SignUpForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )


class LoginForm(AuthenticationForm):
    """Django's login form; the username field also takes the account's e-mail address.

    No autofocus: focus starts at the top of the page, so the skip link stays the first stop
    and a screen reader reads the page from its beginning.
    """

    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )

    signin = SignIn()

    def clean(self):
        """The sign-in's first step (accounts.signin), counted by the login limits before the
        password is checked; the view reads ``signin`` for what comes next."""
        login, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if login is None or password is None:
            return self.cleaned_data
        self.signin = signin_password(request=self.request, login=login, password=password)
        if self.signin.refused:
            raise forms.ValidationError(self.signin.refused.message, code="too_many_attempts")
        if self.signin.user is None:
            raise self.get_invalid_login_error()
        self.user_cache = self.signin.user
        return self.cleaned_data


class CodeForm(forms.Form):
    """The second step of signing in, and the checks before two-factor settings change."""

    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("The 6 digits the app shows for Pledgeboard."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DisableTwoFactorForm(CodeForm):
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["password", "code"]


def _without_autofocus(form: forms.Form, name: str) -> None:
    """Focus starts at the top of the page: the skip link stays the first stop (Django autofocuses)."""
    form.fields[name].widget.attrs.pop("autofocus", None)


class LanguagePasswordResetForm(PasswordResetForm):
    """Django's reset form, its e-mail written in the language of the account it is for.

    An address no active account uses gets a note saying so, so that every request sends one
    e-mail: neither the answer nor the time it takes tells whether the address has an account.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_autofocus(self, "email")

    def save(self, *args, **kwargs):
        email = self.cleaned_data["email"]
        if next(iter(self.get_users(email)), None) is None:
            try:
                send_no_account_for_reset(to=email, language=translation.get_language())
            except ServiceUnavailable:
                pass  # logged; Django's own reset e-mail is not retried either
            return
        super().save(*args, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(user_language(context["user"])):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class NewPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_autofocus(self, "new_password1")


class ResendVerificationForm(forms.Form):
    login = forms.CharField(label=_("Username or e-mail"), max_length=254)


class AmountField(forms.DecimalField):
    """An amount as the API reads one (core.money.PLAIN_AMOUNT): "25" or "25.00", not "1_000",
    Arabic-Indic digits or "1e3", which Django's DecimalField would take. Spaces around it are dropped, as
    every form field drops them."""

    def to_python(self, value):
        if value not in self.empty_values and not is_plain_amount(str(value).strip()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _amount_field(currency: str, decimals: int) -> forms.DecimalField:
    step = Decimal(1).scaleb(-decimals)
    return AmountField(
        label=_("Pledge amount (%(currency)s)") % {"currency": currency},
        max_digits=18,
        decimal_places=decimals,
        min_value=step,
        widget=forms.NumberInput(attrs={"step": str(step), "inputmode": "decimal"}),
    )


class PledgeForm(forms.Form):
    """A tier (or none), where it ships, add-ons, and an amount, which includes shipping and add-ons."""

    reward = forms.ChoiceField(label=_("Reward"), widget=forms.RadioSelect, required=False)
    shipping_country = forms.ChoiceField(
        label=_("Ship to"), required=False, help_text=_("For a reward that ships: the country it goes to.")
    )
    amount = AmountField()
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(
        self,
        *args,
        campaign: Campaign,
        rewards: list[RewardTier],
        decimals: int,
        add_ons: list[AddOn] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.add_ons = add_ons or []
        self.fields["amount"] = _amount_field(campaign.currency, decimals)
        self.fields["amount"].required = False
        self.fields["amount"].help_text = _("Shipping and add-ons included. Empty: the least your choices need.")
        reward = cast(forms.ChoiceField, self.fields["reward"])
        reward.choices = [(NO_REWARD, _("No reward"))] + [(str(r.pk), r.title) for r in rewards]
        country = cast(forms.ChoiceField, self.fields["shipping_country"])
        country.choices = [("", _("Choose a country")), *countries]  # names in the reader's language
        for add_on in self.add_ons:
            self.fields[self.add_on_field(add_on)] = forms.IntegerField(
                label=add_on.title,
                required=False,
                min_value=0,
                max_value=add_on.max_per_backer,
                initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-price": str(add_on.price)}),
            )

    @staticmethod
    def add_on_field(add_on: AddOn) -> str:
        return f"add_on_{add_on.pk}"

    def reward_id(self) -> int | None:
        value = self.cleaned_data.get("reward") or NO_REWARD
        return None if value == NO_REWARD else int(value)

    def add_on_quantities(self) -> dict[int, int]:
        """Every add-on offered with its quantity (0: none)."""
        return {a.pk: self.cleaned_data.get(self.add_on_field(a)) or 0 for a in self.add_ons}

    def add_on_bound_fields(self) -> list:
        return [(add_on, self[self.add_on_field(add_on)]) for add_on in self.add_ons]


# --- the creator studio ---------------------------------------------------------------------

_DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class _ImageFields(forms.Form):
    """The campaign's picture: Pillow checks and re-encodes it in the service (campaigns.images)."""

    image = forms.FileField(
        label=_("Image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )
    image_alt = forms.CharField(
        label=_("Image description"),
        max_length=200,
        required=False,
        help_text=_("What the image shows, for people who cannot see it."),
    )
    remove_image = forms.BooleanField(label=_("Remove the current image"), required=False)

    def __init__(self, *args, has_image: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = _(
            "PNG, JPEG, WebP or GIF, at most %(size)s MB. Shown at the top of the campaign page."
        ) % {"size": settings.CAMPAIGN_IMAGE_MAX_BYTES // (1024 * 1024)}
        if not has_image:
            del self.fields["remove_image"]


class LatePledgesForm(forms.Form):
    """Late pledges after a successful close: until when, and the late price (the service checks both)."""

    until = forms.DateTimeField(
        label=_("Take late pledges until"),
        required=False,
        widget=_DATETIME_LOCAL,
        help_text=_("In UTC. Empty: no late pledges."),
    )
    price_percent = forms.IntegerField(
        label=_("Late price: add this percentage to each reward's minimum"),
        min_value=0,
        max_value=1000,
        initial=0,
        required=False,
    )


class LiveCampaignForm(_ImageFields):
    """Once live only the words and the picture may change."""

    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Story"),
        required=False,
        max_length=Campaign.DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Markdown: **bold**, _italic_, lists, links."),
    )
    blurb = forms.CharField(
        label=_("Short description"),
        max_length=Campaign.BLURB_MAX_LENGTH,
        required=False,
        help_text=_("One sentence under the title, on cards and in link previews."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("No category")
    )
    risks = forms.CharField(
        label=_("Risks and challenges"),
        required=False,
        max_length=Campaign.RISKS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What could go wrong, and how you will handle it."),
    )
    video_url = forms.CharField(
        label=_("Video link"),
        required=False,
        max_length=300,
        widget=forms.URLInput(),
        help_text=_("A YouTube or Vimeo link; the page shows the player."),
    )
    field_order = ["title", "blurb", "category", "description", "risks", "video_url"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        category = cast(forms.ModelChoiceField, self.fields["category"])
        category.queryset = Category.objects.select_related("parent").order_by(
            Coalesce("parent__position", "position"),
            Coalesce("parent__slug", "slug"),
            F("parent_id").asc(nulls_first=True),
            "position",
        )
        category.label_from_instance = lambda c: f"{c.parent.name} › {c.name}" if c.parent else c.name  # noqa: RUF001 - a breadcrumb mark


class CampaignForm(LiveCampaignForm):
    """A draft's fields: the live ones and the terms; the rules (currency, goal's decimals, a
    future deadline) are the service's."""

    goal = AmountField(label=_("Goal"), max_digits=18, decimal_places=3, min_value=Decimal("0.001"))
    currency = forms.ChoiceField(label=_("Currency"))
    deadline = forms.DateTimeField(label=_("Deadline"), required=False, widget=_DATETIME_LOCAL, help_text=_("In UTC."))
    funding_model = forms.ChoiceField(label=_("Funding model"), choices=Campaign.FundingModel.choices)
    field_order = [
        "title",
        "blurb",
        "category",
        "description",
        "risks",
        "video_url",
        "goal",
        "currency",
        "deadline",
        "funding_model",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code.upper(), code.upper()) for code in SUPPORTED_CURRENCIES]


class RewardForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    minimum = AmountField(label=_("Minimum pledge"), max_digits=18, decimal_places=3)
    ships = forms.BooleanField(
        label=_("This reward ships"),
        required=False,
        help_text=_("Physical goods; leave unticked for a digital reward."),
    )
    limit = forms.IntegerField(label=_("Limit"), required=False, min_value=1, help_text=_("Empty for unlimited."))
    estimated_delivery = forms.DateField(
        label=_("Estimated delivery"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def destination_choices() -> list:
    """Regions first (most specific to rest of the world), then every country by its name in the reader's language."""
    return [
        ("", _("Choose a destination")),
        (_("Regions"), [(f"region:{value}", label) for value, label in Region.choices]),
        (_("Countries"), [(f"country:{code}", name) for code, name in countries]),
    ]


class ShippingRuleForm(forms.Form):
    destination = forms.ChoiceField(label=_("Destination"), required=False)
    price = AmountField(
        label=_("Shipping price"), max_digits=18, decimal_places=3, required=False, min_value=Decimal("0")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["destination"]).choices = destination_choices()

    def clean(self):
        data = super().clean()
        if data.get("destination") and data.get("price") is None:
            self.add_error("price", _("Give this destination a price (0 for free shipping)."))
        return data


ShippingRuleFormSet = forms.formset_factory(ShippingRuleForm, extra=3, max_num=300, absolute_max=300)


class AddOnForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    price = AmountField(label=_("Price"), max_digits=18, decimal_places=3)
    limit = forms.IntegerField(label=_("Limit"), required=False, min_value=1, help_text=_("Empty for unlimited."))
    max_per_backer = forms.IntegerField(
        label=_("Most per backer"), min_value=1, max_value=1000, initial=1, help_text=_("How many one backer may add.")
    )
    tiers = forms.MultipleChoiceField(
        label=_("Goes with"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every reward."),
    )

    def __init__(self, *args, rewards: list[RewardTier], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tiers"]).choices = [(str(r.pk), r.title) for r in rewards]


class UpdateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Update (Markdown)"),
        max_length=CampaignUpdate.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    audience = forms.ChoiceField(
        label=_("Who reads it"),
        choices=[("public", _("Everyone")), ("backers", _("Backers only")), ("tiers", _("Backers of chosen tiers"))],
        widget=forms.RadioSelect,
        initial="public",
    )
    tiers = forms.MultipleChoiceField(
        label=_("Tiers"), required=False, widget=forms.CheckboxSelectMultiple, help_text=_("For the last choice.")
    )

    def __init__(self, *args, rewards: list[RewardTier], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["tiers"]).choices = [(str(r.pk), r.title) for r in rewards]


class UpdateEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Update (Markdown)"),
        max_length=CampaignUpdate.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


def add_domain_error(form: forms.Form, error, *, fields: dict[str, str] | None = None) -> None:
    """A service's refusal as a form error: on the field ``fields`` maps its code to, the field
    it names, or the field its code names (``invalid_goal``), else above the form."""
    field = (fields or {}).get(error.code) or getattr(error, "field", None) or error.code.removeprefix("invalid_")
    form.add_error(field if field in form.fields else None, error.message)


# --- account settings -------------------------------------------------------------------------


def _current_password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Your current password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class DisplayNameForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=50,
        required=False,
        help_text=_("Shown where others see you, e.g. as a campaign's creator. Empty: your username."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        help_text=_("The studio reads and shows a campaign's deadline in this zone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = [
            (zone, zone.replace("_", " ")) for zone in sorted(available_time_zones())
        ]


class ProfileForm(DisplayNameForm):
    """The public profile (/u/<username>/): the name and what the services check of the rest."""

    avatar = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
        help_text=_("PNG, JPEG, WebP or GIF; shown round on your profile."),
    )
    remove_avatar = forms.BooleanField(label=_("Remove the current picture"), required=False)
    bio = forms.CharField(
        label=_("Short bio"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    website = forms.CharField(
        label=_("Website"), max_length=200, required=False, widget=forms.URLInput(attrs={"autocomplete": "url"})
    )
    location = forms.CharField(
        label=_("Location"), max_length=80, required=False, help_text=_("A city or region, as you like to name it.")
    )

    def __init__(self, *args, has_avatar: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_avatar:
            del self.fields["remove_avatar"]


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label=_("New e-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = _current_password_field()


class AccountPasswordForm(PasswordChangeForm):
    """Django's form (the old password, the new one twice, the validators), without autofocus."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_autofocus(self, "old_password")


class DeleteAccountForm(forms.Form):
    password = _current_password_field()


class QuestionForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=200, required=False)
    answer = forms.CharField(
        label=_("Answer"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


QuestionFormSet = forms.formset_factory(QuestionForm, extra=2, max_num=30, absolute_max=30, validate_max=True)
