"""What pledges tell the apps above them (notifications). Receivers run inside the
sender's transaction, so what they write commits or rolls back with the pledge."""

from django.dispatch import Signal

# The pledge counts: its card is saved and it is in the campaign's totals. pledge.
pledge_confirmed = Signal()
# An active pledge's amount or reward changed. pledge, version (a string unique per change).
pledge_changed = Signal()
# The backer withdrew an active pledge. pledge.
pledge_canceled = Signal()
# The provider's refunds of a collected charge grew. charge (refunded_amount already the new total),
# before (the refunded amount recorded until now).
charge_refunded = Signal()
