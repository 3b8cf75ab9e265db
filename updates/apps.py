from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpdatesConfig(AppConfig):
    name = "updates"
    verbose_name = _("Updates")

    def ready(self) -> None:
        from updates import receivers  # noqa: F401  (connects the signal receivers)
