"""Sign-up and tokens over HTTP: one API class per operation (docs/api.md, "One class per operation")."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.mfa import CODE_MAX_LENGTH
from accounts.services import signup_request, user_token
from accounts.signin import signin_at_once
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

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(write_only=True, max_length=128)

        class Meta:
            ref_name = "RegisterInput"  # the schema's component name from before the nesting

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        email = serializers.EmailField()
        detail = serializers.CharField()

        class Meta:
            ref_name = "RegisterOutput"  # the schema's component name from before the nesting

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
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
        body = self.OutputSerializer({"username": username, "email": email, "detail": detail}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class TokenApi(APIView):
    """A token for a username (or e-mail address) and password, and for an account with two-factor
    sign-in a current code too (``otp``: the app's 6 digits or a recovery code, used up). The same
    sign-in as the site's (accounts.signin), under the same login limits."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=254, help_text="Username or e-mail address.")
        password = serializers.CharField(write_only=True, max_length=128)
        otp = serializers.CharField(
            write_only=True,
            required=False,
            allow_blank=True,
            max_length=CODE_MAX_LENGTH,
            help_text="For an account with two-factor sign-in: the authenticator app's current code, "
            "or one of the account's recovery codes (each works once).",
        )

        class Meta:
            ref_name = "TokenInput"  # the schema's component name from before the nesting

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

        class Meta:
            ref_name = "TokenOutput"  # the schema's component name from before the nesting

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(
                description="`invalid_credentials`: wrong username or password; `otp_invalid`: wrong code; "
                "`invalid`: malformed input."
            ),
            401: OpenApiResponse(
                description="`otp_required`: the password is right and the account has two-factor sign-in: "
                "send the same request again with `otp`."
            ),
            403: OpenApiResponse(
                description="`mfa_enrolment_required`: a staff account without two-factor sign-in "
                "(MFA_REQUIRED_FOR_STAFF): set it up on the site first."
            ),
            429: OpenApiResponse(
                description="`too_many_attempts`: too many failed passwords or codes for this account from this "
                "client, or from this client: wait the `Retry-After` seconds (login limits)."
            ),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = signin_at_once(
            request=request,
            login=data.validated_data["username"],
            password=data.validated_data["password"],
            code=data.validated_data.get("otp", ""),
        )
        return Response(self.OutputSerializer({"token": user_token(user=user)}).data)
