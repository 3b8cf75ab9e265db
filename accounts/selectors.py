from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import translation
from django.utils.translation import gettext_lazy

from accounts.models import PendingSignup, Profile
from accounts.usernames import username_key

# What a deleted account is called wherever a person is named (pages, reports).
DELETED_USER = gettext_lazy("deleted user")


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


def user_language(user: Any) -> str:
    """The language a user reads (their e-mails): their choice, else the site's. Free of queries
    when the user was loaded with ``select_related("profile")`` (a fan-out of e-mails is)."""
    if getattr(user, "pk", None) is None:
        return settings.LANGUAGE_CODE
    try:
        chosen = user.profile.language
    except Profile.DoesNotExist:
        chosen = None
    return supported_language(chosen) or settings.LANGUAGE_CODE


def user_for_login(login: str) -> User | None:
    """The user a login form's text names: by username or e-mail address, either case; None if nobody.

    A username that is also someone's e-mail address names its own account first.
    """
    login = login.strip()
    if not login:
        return None
    named = Q(username__iexact=login) | Q(email__iexact=login) if "@" in login else Q(username__iexact=login)
    first = Case(When(username__iexact=login, then=Value(0)), default=Value(1), output_field=IntegerField())
    return User.objects.filter(named).order_by(first, "pk").first()


def username_taken(username: str) -> bool:
    """Whether an account has this username, ignoring case and Unicode form (sign-ups do not count)."""
    return (
        Profile.objects.filter(username_key=username_key(username)).exists()
        or User.objects.filter(username__iexact=username).exists()
    )


def email_owner(email: str) -> User | None:
    """The account that has this address (any letter case), if one does; sign-ups do not count."""
    if not email.strip():
        return None
    return User.objects.filter(email__iexact=email.strip()).order_by("pk").first()


def pending_signup_for(*, login: str) -> PendingSignup | None:
    """The newest sign-up waiting for confirmation under this address or username."""
    if "@" in login:
        waiting = PendingSignup.objects.filter(email__iexact=login.strip())
    else:
        waiting = PendingSignup.objects.filter(username_key=username_key(login.strip()))
    return waiting.order_by("-sent_at", "-pk").first()


def public_name(user: User) -> str:
    """How a person is named to others: their display name, else their username; "deleted user"
    for a deleted account. Free of queries when loaded with ``select_related("…__profile")``."""
    try:
        profile = user.profile
    except Profile.DoesNotExist:
        return user.get_username()
    if profile.deleted_at is not None:
        return str(DELETED_USER)
    return profile.display_name or user.get_username()


def user_time_zone(user: Any) -> str:
    """The zone a signed-in user reads and types times in (the studio's deadline): the one saved
    on their profile, else settings.TIME_ZONE."""
    if not getattr(user, "is_authenticated", False):
        return str(settings.TIME_ZONE)
    chosen = Profile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    return chosen or str(settings.TIME_ZONE)
