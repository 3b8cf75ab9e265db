from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.tokens import token_user


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``, checked against the stored hash and its expiry."""

    def authenticate_credentials(self, key):
        user = token_user(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return user, None
