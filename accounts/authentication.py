from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.mfa import enrolment_required_message, mfa_required_of_staff
from accounts.tokens import token_lookup


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``, checked against the stored hash, its expiry and the
    holder's password; ``request.auth`` is the ApiToken (so a client can revoke the one it uses)."""

    def authenticate_credentials(self, key):
        token = token_lookup(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        if mfa_required_of_staff(token.user):  # MFA_REQUIRED_FOR_STAFF: a token made before it counts for nothing
            raise exceptions.AuthenticationFailed(enrolment_required_message(), code="mfa_enrolment_required")
        return token.user, token
