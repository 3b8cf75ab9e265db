from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import translation

from accounts.models import Profile


def supported_language(language: str | None) -> str | None:
    """The code of a language the site serves (``de-at`` -> ``de``), or None."""
    if not language:
        return None
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return None


def user_chosen_language(user_id: int | None) -> str | None:
    """The language a user chose (at sign-up, with the switcher, in their settings) if the site
    still serves it; None if they never chose one."""
    if user_id is None:
        return None
    chosen = Profile.objects.filter(user_id=user_id).values_list("language", flat=True).first()
    return supported_language(chosen)


def user_language(user) -> str:
    """The language a user reads (their e-mails): their choice, else the site's. Free of queries
    when the user was loaded with ``select_related("profile")`` (a fan-out of e-mails is)."""
    if getattr(user, "pk", None) is None:
        return settings.LANGUAGE_CODE
    try:
        chosen = user.profile.language
    except Profile.DoesNotExist:
        chosen = None
    return supported_language(chosen) or settings.LANGUAGE_CODE


def user_for_login(login: str):
    """The user a login form's text names: by username or e-mail address, either case; None if nobody.

    A username that is also someone's e-mail address names its own account first.
    """
    login = login.strip()
    if not login:
        return None
    named = Q(username__iexact=login) | Q(email__iexact=login) if "@" in login else Q(username__iexact=login)
    first = Case(When(username__iexact=login, then=Value(0)), default=Value(1), output_field=IntegerField())
    return get_user_model().objects.filter(named).order_by(first, "pk").first()
