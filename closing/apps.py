from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    name = "closing"
    verbose_name = _("Closing")

    def ready(self) -> None:
        from closing.selectors import collections_in_progress
        from core.metrics import register_gauge

        register_gauge(
            "pledgeboard_collection_pledges",
            "Pledges of the campaigns being collected, by state: active (still to charge), errored "
            "(declined, retried until fixed or dropped), collected.",
            ("campaign", "state"),
            lambda: (((str(campaign), state), count) for campaign, state, count in collections_in_progress()),
        )
