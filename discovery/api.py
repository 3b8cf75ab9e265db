"""Public profiles over HTTP: one API class per operation (docs/api.md)."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import public_name
from core.text import invisible_character
from discovery.selectors import creator_profile


class ProfileDetailApi(APIView):
    """A person's public profile: what /u/<username>/ shows, and their public campaigns' ids."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        display_name = serializers.CharField(help_text="The display name, else the username.")
        avatar = serializers.CharField(allow_null=True, help_text="The picture's path on this site, or null.")
        bio = serializers.CharField()
        website = serializers.CharField()
        location = serializers.CharField()
        verified = serializers.BooleanField(help_text="The payout account is verified.")
        campaigns = serializers.ListField(child=serializers.IntegerField())
        backed_count = serializers.IntegerField()

        class Meta:
            ref_name = "ProfileOutput"

    @extend_schema(responses=OutputSerializer)
    def get(self, request, username: str):
        found = None if invisible_character(username) else creator_profile(request.user, username)
        if found is None:
            raise Http404
        profile = getattr(found.user, "profile", None)
        return Response(
            self.OutputSerializer(
                {
                    "username": found.user.get_username(),
                    "display_name": public_name(found.user),
                    "avatar": profile.avatar.url if profile is not None and profile.avatar else None,
                    "bio": profile.bio if profile is not None else "",
                    "website": profile.website if profile is not None else "",
                    "location": profile.location if profile is not None else "",
                    "verified": found.verified,
                    "campaigns": [campaign.pk for campaign in found.campaigns],
                    "backed_count": found.backed_count,
                }
            ).data
        )
