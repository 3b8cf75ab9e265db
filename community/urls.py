"""The community's API routes, included under /api/ by config.urls."""

from django.urls import path

from community import api

urlpatterns = [
    path("campaigns/<int:campaign_id>/comments/", api.CommentsRoutes.as_view(), name="comment-list"),
    path("comments/<int:comment_id>/hide/", api.CommentHideApi.as_view(), name="comment-hide-api"),
    path("comments/<int:comment_id>/reports/", api.CommentReportApi.as_view(), name="comment-report-api"),
    path("campaigns/<int:campaign_id>/reports/", api.CampaignReportApi.as_view(), name="campaign-report"),
    path("campaigns/<int:campaign_id>/follow/", api.LaunchFollowRoutes.as_view(), name="campaign-follow"),
    path("campaigns/<int:campaign_id>/coming-soon/", api.ComingSoonApi.as_view(), name="campaign-coming-soon"),
    path("creators/<str:username>/follow/", api.CreatorFollowRoutes.as_view(), name="creator-follow"),
    path("campaigns/<int:campaign_id>/referrals/", api.ReferralStatsApi.as_view(), name="campaign-referrals"),
    path("campaigns/<int:campaign_id>/referral-tags/", api.ReferralTagsRoutes.as_view(), name="referral-tag-list"),
    path(
        "campaigns/<int:campaign_id>/referral-tags/<slug:slug>/",
        api.ReferralTagDeleteApi.as_view(),
        name="referral-tag-delete",
    ),
    path("reviews/", api.ReviewQueueApi.as_view(), name="review-queue"),
    path("campaigns/<int:campaign_id>/review/", api.ReviewDecideApi.as_view(), name="campaign-review"),
]
