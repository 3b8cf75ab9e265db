from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.admin_login import admin_login_redirect
from accounts.api import RegisterApi, TokenApi
from accounts.api_tokens import TokenListApi, TokenRevokeAllApi, TokenRevokeApi, TokenRevokeCurrentApi
from campaigns.api import (
    CampaignCancelApi,
    CampaignLatePledgesApi,
    CampaignLaunchApi,
    CampaignRoutes,
    CampaignsRoutes,
)
from closing.api import StripeWebhookApi
from config.health import livez, readyz
from config.metrics import metrics
from core.storage import serve_media
from discovery.api import ProfileDetailApi
from fulfilment.api import (
    BackerSurveyRoutes,
    FulfilmentUpdateApi,
    FulfilmentUploadApi,
    PledgeFulfilmentApi,
    PledgeReceivedApi,
    SurveyRemindApi,
    SurveyResponseListApi,
    SurveyRoutes,
    SurveySendApi,
)
from notifications.api import ReminderRoutes, unsubscribe_view
from payouts.api import CampaignPayoutHoldApi, CampaignPayoutReleaseApi, CampaignStatementApi
from pledges.api import (
    PledgeCancelApi,
    PledgeConfirmApi,
    PledgePaymentMethodApi,
    PledgeReceiptApi,
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
from rewards.api import AddOnRoutes, AddOnsRoutes, RewardRoutes, RewardsRoutes
from updates.api import UpdateRoutes, UpdatesRoutes

api: list[URLPattern | URLResolver] = [
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
    path("campaigns/<int:campaign_id>/late-pledges/", CampaignLatePledgesApi.as_view(), name="campaign-late-pledges"),
    path("campaigns/<int:campaign_id>/rewards/", RewardsRoutes.as_view(), name="reward-list"),
    path("campaigns/<int:campaign_id>/rewards/<int:reward_id>/", RewardRoutes.as_view(), name="reward-detail"),
    path("campaigns/<int:campaign_id>/add-ons/", AddOnsRoutes.as_view(), name="add-on-list"),
    path("campaigns/<int:campaign_id>/add-ons/<int:add_on_id>/", AddOnRoutes.as_view(), name="add-on-detail"),
    path("pledges/", PledgesRoutes.as_view(), name="pledge-list"),
    path("pledges/<int:pledge_id>/", PledgeRoutes.as_view(), name="pledge-detail"),
    path("pledges/<int:pledge_id>/confirm/", PledgeConfirmApi.as_view(), name="pledge-confirm"),
    path("pledges/<int:pledge_id>/cancel/", PledgeCancelApi.as_view(), name="pledge-cancel"),
    path("pledges/<int:pledge_id>/payment-method/", PledgePaymentMethodApi.as_view(), name="pledge-payment-method"),
    path("pledges/<int:pledge_id>/refund/", PledgeRefundApi.as_view(), name="pledge-refund"),
    path("pledges/<int:pledge_id>/receipt/", PledgeReceiptApi.as_view(), name="pledge-receipt"),
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
    path("campaigns/<int:campaign_id>/survey/", SurveyRoutes.as_view(), name="survey"),
    path("campaigns/<int:campaign_id>/survey/send/", SurveySendApi.as_view(), name="survey-send"),
    path("campaigns/<int:campaign_id>/survey/remind/", SurveyRemindApi.as_view(), name="survey-remind"),
    path("campaigns/<int:campaign_id>/survey/responses/", SurveyResponseListApi.as_view(), name="survey-responses"),
    path("campaigns/<int:campaign_id>/fulfilment/upload/", FulfilmentUploadApi.as_view(), name="fulfilment-upload"),
    path(
        "campaigns/<int:campaign_id>/fulfilment/<int:pledge_id>/",
        FulfilmentUpdateApi.as_view(),
        name="fulfilment-update",
    ),
    path("pledges/<int:pledge_id>/survey/", BackerSurveyRoutes.as_view(), name="pledge-survey"),
    path("pledges/<int:pledge_id>/fulfilment/", PledgeFulfilmentApi.as_view(), name="pledge-fulfilment"),
    path("pledges/<int:pledge_id>/received/", PledgeReceivedApi.as_view(), name="pledge-received"),
    path("reports/campaigns.csv", PlatformReportApi.as_view(), name="platform-report"),
    path("reports/campaigns.xlsx", PlatformReportXlsxApi.as_view(), name="platform-report-xlsx"),
    path("reports/revenue/", PlatformRevenueApi.as_view(), name="platform-revenue"),
    path("exports/", ExportJobListApi.as_view(), name="export-list"),
    path("exports/<int:job_id>/", ExportJobDetailApi.as_view(), name="export-detail"),
    path("exports/<int:job_id>/download/", ExportJobDownloadApi.as_view(), name="export-download"),
    path("", include("community.urls")),
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
