from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.login_limits import login_blocked, login_failed, login_succeeded
from accounts.services import signup_request, user_token
from core.clients import client_address
from core.errors import InvalidInput
from core.throttling import AnonThrottle


class RegisterApi(APIView):
    """Sign up: the account is opened when the link mailed to the address is opened (the web's
    /verify/<token>/ page). Until then there is no account, no token, no pledge. The answer is the
    same whether or not the address has an account (its owner is told by e-mail instead)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonThrottle]

    class RegisterInputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(write_only=True, max_length=128)

    class RegisterOutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        email = serializers.EmailField()
        detail = serializers.CharField()

    @extend_schema(request=RegisterInputSerializer, responses={202: RegisterOutputSerializer})
    def post(self, request):
        data = self.RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        try:
            username = signup_request(
                **data.validated_data, client=client_address(request), language=translation.get_language()
            )
        except DjangoValidationError as error:  # from the password validators
            raise serializers.ValidationError({"password": error.messages}) from error
        except InvalidInput as error:  # a username that is not allowed
            raise serializers.ValidationError({"username": [error.message]}) from error
        detail = _("Check your inbox: open the link we sent to %(email)s to open your account.") % {"email": email}
        body = self.RegisterOutputSerializer({"username": username, "email": email, "detail": detail}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class TokenApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonThrottle]

    class TokenInputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(write_only=True, max_length=128)

    class TokenOutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=TokenInputSerializer, responses={200: TokenOutputSerializer})
    def post(self, request):
        data = self.TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account, client = data.validated_data["username"], client_address(request)
        blocked = login_blocked(account=account, client=client)
        if blocked is not None:  # the password is not even checked while the limit holds
            return Response(
                {"detail": "Too many failed attempts: wait, then try again.", "code": "too_many_attempts"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(blocked.retry_after)},
            )
        user = authenticate(request, **data.validated_data)
        if user is None:
            login_failed(account=account, client=client)
            return Response(
                {"detail": "Unable to log in with the given username and password.", "code": "invalid_credentials"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        login_succeeded(account=account)
        return Response(self.TokenOutputSerializer({"token": user_token(user=user)}).data)
