"""A user's own API tokens: list them (never their value), revoke one, the one in use, or all."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken
from accounts.tokens import token_revoke, tokens_of, tokens_revoke_all
from core.errors import InvalidInput


def _calling_token(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class TokenListApi(ListAPIView):
    """The caller's tokens that still work, newest first: never their value, only its first characters."""

    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    class OutputSerializer(serializers.ModelSerializer):
        current = serializers.SerializerMethodField(help_text="Whether this request was made with this token.")

        class Meta:
            model = ApiToken
            fields = ["id", "prefix", "created_at", "last_used_at", "expires_at", "current"]
            ref_name = "ApiTokenOutput"  # the schema's component name from before the nesting

        def get_current(self, token: ApiToken) -> bool:
            calling = _calling_token(self.context["request"])
            return calling is not None and calling.pk == token.pk

    serializer_class = OutputSerializer  # DRF's list: pagination and its schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiToken.objects.none()
        return tokens_of(user=self.request.user)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, token_id: int):
        if not token_revoke(user=request.user, token_id=token_id):
            raise NotFound(_("You have no token with this id."))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeCurrentApi(APIView):
    """Log this client out of the API: the token the request was made with stops working."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        calling = _calling_token(request)
        if calling is None:
            raise InvalidInput(_("This request was not made with an API token."), code="no_token")
        token_revoke(user=request.user, token_id=calling.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllApi(APIView):
    """Log out of the API everywhere: every token of the user stops working, this one too."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        revoked = serializers.IntegerField()

        class Meta:
            ref_name = "RevokeAllOutput"  # the schema's component name from before the nesting

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request):
        revoked = tokens_revoke_all(user=request.user)
        return Response(self.OutputSerializer({"revoked": revoked}).data)
