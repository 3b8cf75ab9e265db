from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from rest_framework.authtoken.models import Token

from core.errors import Conflict

User = get_user_model()


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> tuple[User, str]:
    """Create a user and their API token; the password must pass Django's validators."""
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("That username is taken.", code="username_taken")
    validate_password(password, user=User(username=username, email=email))
    user = User.objects.create_user(username=username, email=email, password=password)
    token = Token.objects.create(user=user)
    return user, token.key


def user_token(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
