"""A signed-in user reads the site in the language they chose (their profile), wherever they log in
from; visitors get LocaleMiddleware's choice (the language switcher's cookie, else Accept-Language).
Staff reach the site only after two-factor sign-in."""

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.mfa import enrolment_required_message, mfa_enabled
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


class StaffTwoFactorMiddleware:
    """MFA_REQUIRED_FOR_STAFF: a staff member's session that has not given a second factor reaches
    nothing but the two-factor set-up (and logging out, static files, the language switch).

    Without a device they are sent to set one up (the API answers 403 ``mfa_enrolment_required``).
    With one, the session skipped the code (it began before the device existed): it is logged
    out, and the next sign-in asks for the code. After OTPMiddleware, which says is_verified().
    """

    OPEN = ("/me/two-factor/", "/logout/", "/language/", "/static/", "/favicon.ico")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.MFA_REQUIRED_FOR_STAFF
            and user is not None
            and user.is_authenticated
            and (user.is_staff or user.is_superuser)
            and not user.is_verified()
            and not request.path.startswith(self.OPEN)
        ):
            return self._refuse(request, user)
        return self.get_response(request)

    def _refuse(self, request, user):
        if mfa_enabled(user):
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Log in again."), "code": "not_authenticated"}, status=401)
            return redirect_to_login(request.get_full_path())
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": enrolment_required_message(), "code": "mfa_enrolment_required"}, status=403)
        return redirect("two-factor-setup")
