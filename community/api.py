"""Comments, reports, follows, referrals and pre-launch over HTTP: one API class per operation
(docs/api.md), no logic: validate, call community.services, serialize."""

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from campaigns.models import Campaign
from campaigns.selectors import campaigns_awaiting_review, campaigns_visible_to
from campaigns.services import campaign_coming_soon_set, campaign_review_decide
from community import selectors, services
from community.models import Comment, ReferralTag, Report
from core.api_fields import MoneyField
from core.api_routing import MethodRoutes
from core.clients import client_address
from core.permissions import staff_may
from updates.selectors import updates_visible_to


def _campaign(request, campaign_id: int) -> Campaign:
    """A campaign the asker can see: public ones, their own drafts, and coming-soon drafts."""
    campaign = campaigns_visible_to(request.user).filter(pk=campaign_id).first()
    return campaign or get_object_or_404(selectors.coming_soon_campaigns(), pk=campaign_id)


def _own_campaign(request, campaign_id: int) -> Campaign:
    campaign = get_object_or_404(Campaign, pk=campaign_id, creator_id=request.user.pk)
    return campaign


def _campaign_to_read(request, campaign_id: int) -> Campaign:
    """The creator's own campaign, or any for staff who may view campaigns (support reads it too)."""
    if staff_may(request.user, "campaigns.view_campaign"):
        return get_object_or_404(Campaign, pk=campaign_id)
    return _own_campaign(request, campaign_id)


def _visible_comment(request, comment_id: int) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("campaign"), pk=comment_id)
    _campaign(request, comment.campaign_id)  # 404 unless the asker sees its campaign
    if comment.update_id is not None:
        _check_sees_update(request, comment.campaign, comment.update_id)
    return comment


def _check_sees_update(request, campaign: Campaign, update_id: int) -> None:
    """404 unless the update is this campaign's and the asker may read it."""
    get_object_or_404(updates_visible_to(campaign, request.user), pk=update_id)


# Shared: a comment (and each of its replies) reads the same in every answer.
class CommentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    # The metaclass moves declared fields off the class: these names shadow nothing at run time.
    update = serializers.IntegerField(source="update_id", allow_null=True)  # type: ignore[assignment]
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]
    author = serializers.SerializerMethodField()
    by_creator = serializers.BooleanField()
    hidden = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField(help_text="Sanitised HTML; empty once hidden.")
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Comment"

    def get_author(self, comment: Comment) -> str | None:
        return None if comment.hidden_at else comment.author.get_username()

    def get_hidden(self, comment: Comment) -> bool:
        return comment.hidden_at is not None

    def get_body_html(self, comment: Comment) -> str:
        return "" if comment.hidden_at else comment.body_html


class CommentListApi(GenericAPIView):
    """A campaign's comments (``?update=<id>``: an update's), oldest first, each with its replies."""

    queryset = Comment.objects.none()  # for the schema only: the view reads through the selectors
    pagination_class = None  # the whole list, capped: no pages

    serializer_class = CommentOutputSerializer

    class OutputSerializer(CommentOutputSerializer):
        replies = CommentOutputSerializer(many=True)

        class Meta:
            ref_name = "CommentThread"

    @extend_schema(parameters=[OpenApiParameter("update", int, required=False)], responses=OutputSerializer(many=True))
    def get(self, request, campaign_id: int):
        campaign = _campaign(request, campaign_id)
        raw = request.query_params.get("update")
        update_id = None
        if raw is not None:
            if not raw.isdigit() or len(raw) > 18:
                raise serializers.ValidationError({"update": ["Give an update's id."]})
            update_id = int(raw)
            _check_sees_update(request, campaign, update_id)
        comments = selectors.comments_for(campaign, update_id=update_id)[:500]
        return Response(self.OutputSerializer(comments, many=True).data)


class CommentCreateApi(GenericAPIView):
    """Backers (pledges that stand) and the creator comment, or reply (``parent``), on the campaign or an update."""

    permission_classes = [IsAuthenticated]
    serializer_class = CommentOutputSerializer

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=Comment.BODY_MAX_LENGTH, trim_whitespace=True)
        # Declared fields leave the class (the metaclass): these names shadow nothing at run time.
        update = serializers.IntegerField(  # type: ignore[assignment]
            required=False, allow_null=True, min_value=1, max_value=2**31 - 1
        )
        parent = serializers.IntegerField(  # type: ignore[assignment]
            required=False, allow_null=True, min_value=1, max_value=2**31 - 1
        )

        class Meta:
            ref_name = "CommentInput"

    @extend_schema(request=InputSerializer, responses={201: CommentOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = _campaign(request, campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_post(
            author=request.user,
            campaign=campaign,
            body=data.validated_data["body"],
            update_id=data.validated_data.get("update"),
            parent_id=data.validated_data.get("parent"),
        )
        return Response(CommentOutputSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentsRoutes(MethodRoutes):
    """/api/campaigns/{id}/comments/ (the URL contract): one class per operation."""

    routes = {"get": CommentListApi, "post": CommentCreateApi}


class CommentHideApi(GenericAPIView):
    """The campaign's creator or staff hide a comment (``hidden: false`` shows it again)."""

    permission_classes = [IsAuthenticated]
    serializer_class = CommentOutputSerializer

    class InputSerializer(serializers.Serializer):
        hidden = serializers.BooleanField(default=True)

        class Meta:
            ref_name = "CommentHideInput"

    @extend_schema(request=InputSerializer, responses=CommentOutputSerializer)
    def post(self, request, comment_id: int):
        comment = _visible_comment(request, comment_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_hide(comment=comment, by=request.user, hidden=data.validated_data["hidden"])
        return Response(CommentOutputSerializer(comment).data)


# Shared: reporting a comment and reporting a campaign take and answer the same shapes.
class ReportInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    text = serializers.CharField(required=False, allow_blank=True, max_length=Report.TEXT_MAX_LENGTH)

    class Meta:
        ref_name = "ReportInput"


# Shared: see ReportInputSerializer.
class ReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    comment = serializers.IntegerField(source="comment_id", allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Report"


class CommentReportApi(GenericAPIView):
    """Anyone signed in reports a comment to staff."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReportOutputSerializer

    @extend_schema(request=ReportInputSerializer, responses={201: ReportOutputSerializer})
    def post(self, request, comment_id: int):
        comment = _visible_comment(request, comment_id)
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_file(
            reporter=request.user, campaign=comment.campaign, comment=comment, **data.validated_data
        )
        return Response(ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)


class CampaignReportApi(GenericAPIView):
    """Anyone reports a campaign to staff, signed in or not (limited per account, or per client)."""

    permission_classes = [AllowAny]
    serializer_class = ReportOutputSerializer

    @extend_schema(request=ReportInputSerializer, responses={201: ReportOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = _campaign(request, campaign_id)
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_file(
            reporter=request.user if request.user.is_authenticated else None,
            campaign=campaign,
            client=client_address(request),
            **data.validated_data,
        )
        return Response(ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)


# Shared: following and unfollowing a coming-soon campaign answer the same shape.
class FollowOutputSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    following = serializers.BooleanField()

    class Meta:
        ref_name = "LaunchFollow"


class LaunchFollowApi(GenericAPIView):
    """Notify me on launch: an e-mail (once) when this coming-soon campaign launches."""

    permission_classes = [IsAuthenticated]
    serializer_class = FollowOutputSerializer

    @extend_schema(request=None, responses=FollowOutputSerializer)
    def post(self, request, campaign_id: int):
        services.launch_follow(user=request.user, campaign=_campaign(request, campaign_id))
        return Response(FollowOutputSerializer({"campaign": campaign_id, "following": True}).data)


class LaunchUnfollowApi(GenericAPIView):
    """No launch e-mail after all."""

    permission_classes = [IsAuthenticated]
    serializer_class = FollowOutputSerializer

    @extend_schema(request=None, responses=FollowOutputSerializer)
    def delete(self, request, campaign_id: int):
        services.launch_follow(user=request.user, campaign=_campaign(request, campaign_id), follow=False)
        return Response(FollowOutputSerializer({"campaign": campaign_id, "following": False}).data)


class LaunchFollowRoutes(MethodRoutes):
    """/api/campaigns/{id}/follow/ (the URL contract): one class per operation."""

    routes = {"post": LaunchFollowApi, "delete": LaunchUnfollowApi}


# Shared: following and unfollowing a creator answer the same shape.
class CreatorFollowOutputSerializer(serializers.Serializer):
    creator = serializers.CharField()
    following = serializers.BooleanField()

    class Meta:
        ref_name = "CreatorFollow"


def _creator(username: str) -> User:
    return get_object_or_404(User, username=username, is_active=True)


class CreatorFollowApi(GenericAPIView):
    """Follow a creator: an e-mail whenever they launch a campaign."""

    permission_classes = [IsAuthenticated]
    serializer_class = CreatorFollowOutputSerializer

    @extend_schema(request=None, responses=CreatorFollowOutputSerializer)
    def post(self, request, username: str):
        creator = _creator(username)
        services.creator_follow(user=request.user, creator=creator)
        return Response(CreatorFollowOutputSerializer({"creator": creator.username, "following": True}).data)


class CreatorUnfollowApi(GenericAPIView):
    """Stop following a creator."""

    permission_classes = [IsAuthenticated]
    serializer_class = CreatorFollowOutputSerializer

    @extend_schema(request=None, responses=CreatorFollowOutputSerializer)
    def delete(self, request, username: str):
        creator = _creator(username)
        services.creator_follow(user=request.user, creator=creator, follow=False)
        return Response(CreatorFollowOutputSerializer({"creator": creator.username, "following": False}).data)


class CreatorFollowRoutes(MethodRoutes):
    """/api/creators/{username}/follow/ (the URL contract): one class per operation."""

    routes = {"post": CreatorFollowApi, "delete": CreatorUnfollowApi}


class ComingSoonApi(GenericAPIView):
    """The creator shows a draft publicly as "coming soon" (``public: false`` hides it again)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        public = serializers.BooleanField()

        class Meta:
            ref_name = "ComingSoonInput"

    class OutputSerializer(serializers.Serializer):
        campaign = serializers.IntegerField(source="pk")
        slug = serializers.CharField()
        coming_soon = serializers.BooleanField(source="is_coming_soon")
        followers = serializers.SerializerMethodField()

        class Meta:
            ref_name = "ComingSoon"

        def get_followers(self, campaign: Campaign) -> int:
            return selectors.follower_count(campaign)

    serializer_class = OutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request, campaign_id: int):
        campaign = _own_campaign(request, campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_coming_soon_set(campaign=campaign, public=data.validated_data["public"])
        return Response(self.OutputSerializer(campaign).data)


class ReferralStatsApi(GenericAPIView):
    """The creator's pledges and amount per source: direct, search, category, each tag, outside sites
    (staff who may view campaigns read it too)."""

    queryset = Campaign.objects.none()  # for the schema only: the view reads through the selectors
    pagination_class = None  # the whole list, capped: no pages

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        source = serializers.CharField()  # type: ignore[assignment]  # a declared field leaves the class
        pledges = serializers.IntegerField()
        amount = MoneyField()

        class Meta:
            ref_name = "ReferralSource"

    serializer_class = OutputSerializer

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request, campaign_id: int):
        campaign = _campaign_to_read(request, campaign_id)
        return Response(self.OutputSerializer(selectors.referral_stats(campaign), many=True).data)


# Shared: the tag list and a new tag answer the same shape.
class ReferralTagOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    link = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "ReferralTag"

    def get_link(self, tag: ReferralTag) -> str:
        return f"/campaigns/{tag.campaign.slug}/?ref={tag.slug}"


class ReferralTagListApi(GenericAPIView):
    """The campaign's custom referral tags (its creator only)."""

    queryset = ReferralTag.objects.none()  # for the schema only: the view reads through the selectors
    pagination_class = None  # the whole list, capped: no pages

    permission_classes = [IsAuthenticated]
    serializer_class = ReferralTagOutputSerializer

    @extend_schema(responses=ReferralTagOutputSerializer(many=True))
    def get(self, request, campaign_id: int):
        campaign = _campaign_to_read(request, campaign_id)
        tags = campaign.referral_tags.select_related("campaign")
        return Response(ReferralTagOutputSerializer(tags, many=True).data)


class ReferralTagCreateApi(GenericAPIView):
    """A new custom tag for links the creator shares (?ref=<tag>)."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReferralTagOutputSerializer

    class InputSerializer(serializers.Serializer):
        slug = serializers.CharField(max_length=ReferralTag.SLUG_MAX_LENGTH)

        class Meta:
            ref_name = "ReferralTagInput"

    @extend_schema(request=InputSerializer, responses={201: ReferralTagOutputSerializer})
    def post(self, request, campaign_id: int):
        campaign = _own_campaign(request, campaign_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = services.referral_tag_create(campaign=campaign, slug=data.validated_data["slug"])
        return Response(ReferralTagOutputSerializer(tag).data, status=status.HTTP_201_CREATED)


class ReferralTagsRoutes(MethodRoutes):
    """/api/campaigns/{id}/referral-tags/ (the URL contract): one class per operation."""

    routes = {"get": ReferralTagListApi, "post": ReferralTagCreateApi}


class ReferralTagDeleteApi(GenericAPIView):
    """Remove a tag; pledges that came through it keep their source."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, campaign_id: int, slug: str):
        campaign = _own_campaign(request, campaign_id)
        services.referral_tag_delete(tag=get_object_or_404(ReferralTag, campaign=campaign, slug=slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewQueueApi(GenericAPIView):
    """Staff who review campaigns: the drafts awaiting review, the longest waiting first."""

    queryset = Campaign.objects.none()  # for the schema only: the view reads through the selectors
    pagination_class = None  # the whole list, capped: no pages

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        slug = serializers.CharField()
        title = serializers.CharField()
        creator = serializers.CharField(source="creator.username")
        review_submitted_at = serializers.DateTimeField()

        class Meta:
            ref_name = "ReviewQueueEntry"

    serializer_class = OutputSerializer

    @extend_schema(
        responses={
            200: OutputSerializer(many=True),
            403: OpenApiResponse(description="Not staff who review campaigns."),
        }
    )
    def get(self, request):
        if not (request.user.is_staff and request.user.has_perm("campaigns.review_campaign")):
            raise PermissionDenied("Only staff who review campaigns may see the queue.")
        return Response(self.OutputSerializer(campaigns_awaiting_review()[:200], many=True).data)


class ReviewDecideApi(GenericAPIView):
    """Staff approve a draft awaiting review, or ask for changes (a message is then required)."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=[("approve", "approve"), ("changes", "changes")])
        message = serializers.CharField(required=False, allow_blank=True, max_length=5000)

        class Meta:
            ref_name = "ReviewDecisionInput"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        state = serializers.CharField()
        review_state = serializers.CharField()
        review_message = serializers.CharField()

        class Meta:
            ref_name = "ReviewDecision"

    serializer_class = OutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request, campaign_id: int):
        campaign = get_object_or_404(Campaign, pk=campaign_id, state=Campaign.State.DRAFT)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_review_decide(
            campaign=campaign,
            reviewer=request.user,
            approve=data.validated_data["decision"] == "approve",
            message=data.validated_data.get("message", ""),
        )
        return Response(self.OutputSerializer(campaign).data)
