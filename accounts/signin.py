"""Signing in, one way for every door: the site's login page, the API's token endpoint and the
admin (whose login page sends people to the site's). A password, then, for an account with
two-factor sign-in, a code; each step counted by the login limits before it is checked.

The callers only translate: the site keeps a half-signed-in user in the session between the
two steps (web/views_mfa.py), the API takes both in one request (``signin_at_once``, for
accounts/api.py).
"""

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from django_otp.models import Device

from accounts.login_limits import login_attempt
from accounts.mfa import enrolment_required_message, mfa_code_check, mfa_enabled, mfa_required_of_staff
from accounts.selectors import user_for_login
from core.clients import client_address
from core.errors import InvalidInput, NotAllowed, NotAuthenticated, TooManyRequests


@dataclass(frozen=True)
class SignIn:
    """What a step found. ``user`` is None for a wrong password or code (counted as a failure);
    ``needs_code``: the password was right and a code must follow (``signin_code``);
    ``refused``: too many failures from this client for now, nothing was checked."""

    user: User | None = None
    needs_code: bool = False
    device: Device | None = None
    refused: TooManyRequests | None = None

    @property
    def signed_in(self) -> bool:
        return self.user is not None and not self.needs_code


def signin_password(*, request, login: str, password: str) -> SignIn:
    """The first step: ``login`` is a username or an e-mail address, either case."""
    named = user_for_login(login)
    attempt = login_attempt(account=named or login, client=client_address(request))
    if attempt.refused:
        return SignIn(refused=attempt.error())
    # An unknown login still costs a password hash (ModelBackend hashes for it): no timing tells.
    user = authenticate(request, username=named.get_username() if named else login, password=password)
    if user is None:
        return SignIn()
    if mfa_enabled(user):
        attempt.passed()  # not a failure, but the account's count stays until the code is right
        return SignIn(user=user, needs_code=True)
    attempt.succeeded()
    return SignIn(user=user)


def signin_code(*, request, user: User, code: str) -> SignIn:
    """The second step, for a user who gave the right password: their app's code or a recovery code."""
    attempt = login_attempt(account=user, client=client_address(request))
    if attempt.refused:
        return SignIn(refused=attempt.error())
    device = mfa_code_check(user=user, code=code)
    if device is None:
        return SignIn()
    attempt.succeeded()
    return SignIn(user=user, device=device)


def signin_at_once(*, request, login: str, password: str, code: str = "") -> User:
    """Both steps in one go (the API's token endpoint): the user, or the domain error to answer
    with: ``invalid_credentials``, ``otp_required`` (the password is right, send the code too),
    ``otp_invalid``, ``mfa_enrolment_required`` (staff without two-factor sign-in) or the
    login limits' refusal."""
    signin = signin_password(request=request, login=login, password=password)
    if signin.refused:
        raise signin.refused
    if signin.user is None:
        raise InvalidInput(_("Unable to log in with the given username and password."), code="invalid_credentials")
    user = signin.user
    if signin.needs_code:
        if not code:
            raise NotAuthenticated(
                _("This account has two-factor sign-in: send the code from the authenticator app as otp."),
                code="otp_required",
            )
        signin = signin_code(request=request, user=user, code=code)
        if signin.refused:
            raise signin.refused
        if signin.user is None:
            raise InvalidInput(_("That code is not right."), code="otp_invalid")
        user = signin.user
    if mfa_required_of_staff(user):
        raise NotAllowed(enrolment_required_message(), code="mfa_enrolment_required")
    return user
