from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.admin_login import admin_login_redirect
from accounts.api import RegisterApi, TokenApi
from accounts.api_tokens import TokenListApi, TokenRevokeAllApi, TokenRevokeApi, TokenRevokeCurrentApi
from campaigns.api import CampaignCancelApi, CampaignLaunchApi, CampaignRoutes, CampaignsRoutes
from closing.api import StripeWebhookApi
from config.health import livez, readyz
from config.metrics import metrics
from core.storage import serve_media
from discovery.api import ProfileDetailApi
from notifications.api import ReminderRoutes, unsubscribe_view
from payouts.api import CampaignPayoutHoldApi, CampaignPayoutReleaseApi, CampaignStatementApi
from pledges.api import (
    PledgeCancelApi,
    PledgeConfirmApi,
    PledgePaymentMethodApi,
    PledgeRefundApi,
    PledgeRoutes,
    PledgesRoutes,
)
from reports.admin import platform_dashboard
from reports.api import (
    BackerReportApi,
    CampaignStatsApi,
    ExportJobDetailApi,
    ExportJobDownloadApi,
    ExportJobListApi,
    PlatformReportApi,
    PlatformReportXlsxApi,
    PlatformRevenueApi,
)
from rewards.api import RewardRoutes, RewardsRoutes
from updates.api import UpdateRoutes, UpdatesRoutes

api = [
    path("auth/register/", RegisterApi.as_view(), name="register"),
    path("auth/token/", TokenApi.as_view(), name="token"),
    path("auth/tokens/", TokenListApi.as_view(), name="token-list"),
    path("auth/tokens/current/", TokenRevokeCurrentApi.as_view(), name="token-revoke-current"),
    path("auth/tokens/revoke-all/", TokenRevokeAllApi.as_view(), name="token-revoke-all"),
    path("auth/tokens/<int:token_id>/", TokenRevokeApi.as_view(), name="token-revoke"),
    path("users/<str:username>/", ProfileDetailApi.as_view(), name="profile-detail"),
    path("campaigns/", CampaignsRoutes.as_view(), name="campaign-list"),
    path("campaigns/<int:campaign_id>/", CampaignRoutes.as_view(), name="campaign-detail"),
    path("campaigns/<int:campaign_id>/launch/", CampaignLaunchApi.as_view(), name="campaign-launch"),
    path("campaigns/<int:campaign_id>/cancel/", CampaignCancelApi.as_view(), name="campaign-cancel"),
    path("campaigns/<int:campaign_id>/rewards/", RewardsRoutes.as_view(), name="reward-list"),
    path("campaigns/<int:campaign_id>/rewards/<int:reward_id>/", RewardRoutes.as_view(), name="reward-detail"),
    path("pledges/", PledgesRoutes.as_view(), name="pledge-list"),
    path("pledges/<int:pledge_id>/", PledgeRoutes.as_view(), name="pledge-detail"),
    path("pledges/<int:pledge_id>/confirm/", PledgeConfirmApi.as_view(), name="pledge-confirm"),
    path("pledges/<int:pledge_id>/cancel/", PledgeCancelApi.as_view(), name="pledge-cancel"),
    path("pledges/<int:pledge_id>/payment-method/", PledgePaymentMethodApi.as_view(), name="pledge-payment-method"),
    path("pledges/<int:pledge_id>/refund/", PledgeRefundApi.as_view(), name="pledge-refund"),
    path("webhooks/stripe/", StripeWebhookApi.as_view(), name="stripe-webhook"),
    path("campaigns/<int:campaign_id>/updates/", UpdatesRoutes.as_view(), name="update-list"),
    path("campaigns/<int:campaign_id>/updates/<int:update_id>/", UpdateRoutes.as_view(), name="update-detail"),
    path("campaigns/<int:campaign_id>/remind/", ReminderRoutes.as_view(), name="campaign-remind"),
    path("campaigns/<int:campaign_id>/backers.csv", BackerReportApi.as_view(), name="campaign-backers"),
    path("campaigns/<int:campaign_id>/stats/", CampaignStatsApi.as_view(), name="campaign-stats"),
    path("campaigns/<int:campaign_id>/statement/", CampaignStatementApi.as_view(), name="campaign-statement"),
    path("campaigns/<int:campaign_id>/payouts/hold/", CampaignPayoutHoldApi.as_view(), name="campaign-payout-hold"),
    path(
        "campaigns/<int:campaign_id>/payouts/release/",
        CampaignPayoutReleaseApi.as_view(),
        name="campaign-payout-release",
    ),
    path("reports/campaigns.csv", PlatformReportApi.as_view(), name="platform-report"),
    path("reports/campaigns.xlsx", PlatformReportXlsxApi.as_view(), name="platform-report-xlsx"),
    path("reports/revenue/", PlatformRevenueApi.as_view(), name="platform-revenue"),
    path("exports/", ExportJobListApi.as_view(), name="export-list"),
    path("exports/<int:job_id>/", ExportJobDetailApi.as_view(), name="export-detail"),
    path("exports/<int:job_id>/download/", ExportJobDownloadApi.as_view(), name="export-download"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("", include("web.urls")),
    path("livez", livez, name="livez"),
    path("readyz", readyz, name="readyz"),
    path("healthz", readyz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/", include(api)),
    path("unsubscribe/<str:token>/", unsubscribe_view, name="unsubscribe"),
    path("admin/login/", admin_login_redirect, name="admin-login"),
    path("admin/dashboard/", admin.site.admin_view(platform_dashboard), name="admin-dashboard"),
    path("admin/", admin.site.urls),
]


# Uploaded campaign images, from the media storage (object storage: the same on every node).
# Served by the app unless MEDIA_URL names a CDN or a public bucket (which then serves them).
if "://" not in settings.MEDIA_URL:
    urlpatterns += [re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", serve_media, name="media")]

handler400 = "core.api_errors.bad_request"
handler403 = "core.api_errors.permission_denied"
handler404 = "core.api_errors.not_found"
handler500 = "core.api_errors.server_error"
