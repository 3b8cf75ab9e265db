from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        from accounts.login_limits import parse_rates

        # A mistyped limit fails at start, not at the first sign-in.
        for name in ("LOGIN_LIMIT_ACCOUNT_CLIENT", "LOGIN_LIMIT_CLIENT", "LOGIN_LIMIT_ACCOUNT"):
            try:
                parse_rates(getattr(settings, name))
            except ValueError as error:
                raise ImproperlyConfigured(f"{name}: {error}") from error
        from accounts import receivers  # noqa: F401  (connects the signal receivers)
