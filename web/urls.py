from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from web import views, views_accounts, views_mfa, views_payouts, views_pledges, views_settings, views_studio

urlpatterns = [
    path("", views.campaign_list, name="home"),
    path("favicon.ico", RedirectView.as_view(url="/static/web/favicon.svg", permanent=True)),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign-page"),
    path("campaigns/<slug:slug>/remind/", views.campaign_remind, name="campaign-remind-page"),
    path("campaigns/<slug:slug>/pledge/", views_pledges.pledge_checkout, name="pledge-checkout"),
    # Accounts
    path("register/", views_accounts.register, name="register-page"),
    path("register/done/", views_accounts.register_done, name="register-done"),
    path("verify/resend/", views_accounts.resend_verification, name="verify-email-resend"),
    path("verify/<str:token>/", views_accounts.verify_email, name="verify-email"),
    path("login/", views_accounts.LoginView.as_view(), name="login"),
    path("login/code/", views_mfa.login_code, name="login-code"),
    path("language/", views_accounts.set_language, name="set-language"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views_accounts.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="web/accounts/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views_accounts.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="web/accounts/password_reset_complete.html"),
        name="password-reset-complete",
    ),
    # The backer's pages
    path("me/pledges/", views_pledges.my_pledges, name="my-pledges"),
    path("me/pledges/<int:pledge_id>/", views_pledges.pledge_detail, name="my-pledge"),
    path("me/pledges/<int:pledge_id>/card/", views_pledges.pledge_card, name="my-pledge-card"),
    path("me/pledges/<int:pledge_id>/confirm/", views_pledges.pledge_confirm_view, name="my-pledge-confirm"),
    path("me/pledges/<int:pledge_id>/thanks/", views_pledges.pledge_thanks, name="my-pledge-thanks"),
    path("me/pledges/<int:pledge_id>/change/", views_pledges.pledge_change, name="my-pledge-change"),
    path("me/pledges/<int:pledge_id>/cancel/", views_pledges.pledge_cancel_view, name="my-pledge-cancel"),
    path(
        "me/pledges/<int:pledge_id>/payment-method/",
        views_pledges.pledge_payment_method,
        name="my-pledge-payment-method",
    ),
    path("me/pledges/<int:pledge_id>/receipt/", views_pledges.pledge_receipt, name="my-pledge-receipt"),
    path("me/settings/", views_pledges.notification_settings, name="notification-settings"),
    path("me/two-factor/", views_mfa.two_factor, name="two-factor"),
    path("me/two-factor/setup/", views_mfa.two_factor_setup, name="two-factor-setup"),
    path("me/two-factor/recovery-codes/", views_mfa.two_factor_recovery_codes, name="two-factor-recovery-codes"),
    path("me/two-factor/disable/", views_mfa.two_factor_disable, name="two-factor-disable"),
    # The account: name, e-mail, password, API tokens, the user's data, deleting it
    path("me/account/", views_settings.account_home, name="account-home"),
    path("me/account/profile/", views_settings.account_profile, name="account-profile"),
    path("me/account/time-zone/", views_settings.account_time_zone, name="account-time-zone"),
    path("me/account/email/", views_settings.account_email, name="account-email"),
    path("me/account/email/<str:token>/", views_settings.account_email_confirm, name="account-email-confirm"),
    path("me/account/password/", views_settings.account_password, name="account-password"),
    path("me/account/tokens/", views_settings.account_tokens, name="account-tokens"),
    path("me/account/data/", views_settings.account_data, name="account-data"),
    path("me/account/data.json", views_settings.account_data_download, name="account-data-download"),
    path("me/account/delete/", views_settings.account_delete, name="account-delete"),
    # The creator studio
    path("studio/", views_studio.studio_home, name="studio"),
    path("studio/new/", views_studio.studio_new, name="studio-new"),
    path("studio/payouts/", views_payouts.studio_payouts, name="studio-payouts"),
    path("studio/payouts/return/", views_payouts.studio_payouts_return, name="studio-payouts-return"),
    path("studio/<slug:slug>/statement/", views_payouts.studio_statement, name="studio-statement"),
    path(
        "studio/<slug:slug>/statement.<str:fmt>",
        views_payouts.studio_statement_download,
        name="studio-statement-download",
    ),
    path("studio/<slug:slug>/", views_studio.studio_campaign, name="studio-campaign"),
    path("studio/<slug:slug>/edit/", views_studio.studio_edit, name="studio-edit"),
    path("studio/<slug:slug>/backers.xlsx", views_studio.studio_backers_xlsx, name="studio-backers-xlsx"),
    path("studio/<slug:slug>/collection/", views_studio.studio_collection, name="studio-collection"),
    path("studio/<slug:slug>/launch/", views_studio.studio_launch, name="studio-launch"),
    path("studio/<slug:slug>/cancel/", views_studio.studio_cancel, name="studio-cancel"),
    path("studio/<slug:slug>/rewards/new/", views_studio.studio_reward, name="studio-reward-new"),
    path("studio/<slug:slug>/rewards/<int:reward_id>/", views_studio.studio_reward, name="studio-reward"),
    path(
        "studio/<slug:slug>/rewards/<int:reward_id>/delete/",
        views_studio.studio_reward_delete,
        name="studio-reward-delete",
    ),
    path("studio/<slug:slug>/updates/", views_studio.studio_update, name="studio-update"),
    path("studio/<slug:slug>/updates/<int:number>/", views_studio.studio_update_edit, name="studio-update-edit"),
]
