from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class PledgeRateThrottle(UserRateThrottle):
    """Pledges per user (API_THROTTLE_PLEDGE), read from the settings at each request."""

    scope = "pledge"

    def get_rate(self) -> str:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]
