from django.conf import settings
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
    """The language a user reads (their e-mails): their choice, else the site's."""
    return user_chosen_language(getattr(user, "pk", None)) or settings.LANGUAGE_CODE
