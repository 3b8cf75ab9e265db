"""A signed-in user reads the site in the language they chose (their profile), wherever they log in
from; visitors get LocaleMiddleware's choice (the language switcher's cookie, else Accept-Language)."""

from django.utils import translation

from accounts.selectors import user_chosen_language


class UserLanguageMiddleware:
    """After AuthenticationMiddleware: activates the signed-in user's language for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user_chosen_language(user.pk)
            if language is not None:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
