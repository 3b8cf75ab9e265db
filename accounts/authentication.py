from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.mfa import enrolment_required_message, mfa_required_of_staff
from accounts.tokens import token_user


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``, checked against the stored hash and its expiry."""

    def authenticate_credentials(self, key):
        user = token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        if mfa_required_of_staff(user):  # MFA_REQUIRED_FOR_STAFF: a token made before it counts for nothing
            raise exceptions.AuthenticationFailed(enrolment_required_message(), code="mfa_enrolment_required")
        return user, None
