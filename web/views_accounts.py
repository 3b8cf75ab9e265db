"""Sign up with e-mail verification, log in (limited, with a second step for two-factor sign-in),
log out, password reset.

Sign-ups go through ``accounts.services.signup_request``, the API's service: the account is
made when the link sent to its address is opened. Login, logout and password reset are
Django's own views (session auth, CSRF on every POST). Neither sign-up nor reset tells whether
an address has an account, and the e-mails they send are limited per address and per client.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language as django_set_language

from accounts.mail_limits import account_mail_check
from accounts.selectors import supported_language
from accounts.services import (
    signup_confirm,
    signup_request,
    signup_resend,
    user_awaiting_verification,
    user_password_changed,
    user_set_language,
)
from core.clients import client_address
from core.errors import DomainError, TooManyRequests
from web.forms import LanguagePasswordResetForm, LoginForm, NewPasswordForm, ResendVerificationForm, SignUpForm
from web.views_mfa import code_step_begin

User = get_user_model()


def _safe_next(request, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure()):
        return value
    return ""


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            signup_request(
                **form.cleaned_data,
                client=client_address(request),
                language=translation.get_language(),
                next_url=next_url,
            )
        except TooManyRequests as error:
            form.add_error(None, error.message)
            status = 429
        except DomainError as error:
            form.add_error("username" if "username" in error.code else None, error.message)
        except ValidationError as error:  # Django's password validators
            form.add_error("password", error)
        else:
            # The same page whether or not the address has an account (its owner got a note).
            request.session["verify_email_sent_to"] = form.cleaned_data["email"]
            return redirect("register-done")
    if form.errors and status == 200:
        status = 400
    return render(request, "web/accounts/register.html", {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "POST"])
def set_language(request):
    """POST: Django's set_language (the cookie a visitor's next pages follow, then back to ``next``);
    a signed-in user's choice is also kept on their profile, for every device and their e-mails.

    GET (the footer's switcher on a page served without cookies, so without a CSRF token): a
    page that asks for the same choice with a form that has one.
    """
    if request.method == "GET":
        chosen = request.GET.get("language", "")
        context = {
            "next": _safe_next(request, request.GET.get("next")) or "/",
            "chosen": chosen,
            "languages": [translation.get_language_info(code) for code, _name in settings.LANGUAGES],
        }
        if supported_language(chosen):
            translation.activate(supported_language(chosen))  # the question in the language asked for
            request.LANGUAGE_CODE = translation.get_language()
        return render(request, "web/accounts/language.html", context)
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and supported_language(language):
        user_set_language(user=request.user, language=language)
    return response


def register_done(request):
    return render(request, "web/accounts/register_done.html", {"email": request.session.get("verify_email_sent_to")})


def verify_email(request, token: str):
    try:
        user = signup_confirm(token=token)
    except DomainError as error:
        return render(
            request,
            "web/accounts/verify_failed.html",
            {"message": error.message, "form": ResendVerificationForm()},
            status=400,
        )
    messages.success(request, _("Thank you, %(email)s is confirmed. Log in to start backing.") % {"email": user.email})
    login_url = reverse("login")
    next_url = _safe_next(request, request.GET.get("next"))
    return redirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)


@require_http_methods(["POST"])
def resend_verification(request):
    form = ResendVerificationForm(request.POST)
    if form.is_valid():
        try:
            signup_resend(
                login=form.cleaned_data["login"], client=client_address(request), language=translation.get_language()
            )
        except TooManyRequests as error:
            messages.error(request, error.message)
            return redirect("login")
        except DomainError as error:  # the mail could not go out
            messages.error(request, error.message)
            return redirect("login")
    # The same answer whether or not a sign-up is waiting.
    messages.info(request, _("If an account is waiting for confirmation, we sent its link again."))
    return redirect("login")


class LoginView(auth_views.LoginView):
    """Django's login view on the one sign-in flow (accounts.signin): the password (LoginForm),
    then, for an account with two-factor sign-in, a code on a page of its own (views_mfa)."""

    form_class = LoginForm
    template_name = "web/accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        if form.signin.needs_code:
            return code_step_begin(self.request, form.signin.user, next_url=self.get_redirect_url())
        return super().form_valid(form)

    def form_invalid(self, form):
        refused = form.signin.refused
        if refused is not None:
            login = self.request.POST.get("username", "")
            fresh = self.form_class(request=self.request, initial={"username": login})
            response = self.render_to_response(self.get_context_data(form=fresh, blocked_message=refused.message))
            response.status_code = 429
            response["Retry-After"] = str(refused.retry_after)
            return response
        login = self.request.POST.get("username", "")
        waiting = user_awaiting_verification(login=login)
        if waiting is not None and waiting.check_password(self.request.POST.get("password", "")):
            form.errors.clear()
            form.add_error(None, _("Confirm your e-mail address first: open the link we sent to it."))
            context = self.get_context_data(form=form, awaiting_verification=login)
            return self.render_to_response(context, status=400)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/accounts/password_reset.html"
    form_class = LanguagePasswordResetForm
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-done")

    def form_valid(self, form):
        try:
            account_mail_check(address=form.cleaned_data["email"], client=client_address(self.request))
        except TooManyRequests as error:
            form.add_error(None, error.message)
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        # Links in the e-mail use the site's public address, like every other e-mail.
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user_password_changed(user=form.user)  # the API tokens die with the old password
        return response
