"""Reports' answer to accounts (accounts.signals), connected in ReportsConfig.ready()."""

from django.dispatch import receiver

from accounts.signals import account_erasing
from reports.services import exports_erase


@receiver(account_erasing, dispatch_uid="reports_erase_exports")
def erase_exports(sender, *, user, **kwargs) -> None:
    exports_erase(requested_by=user)
