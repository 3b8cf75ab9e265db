"""What payouts tell the apps above them (notifications). Receivers run inside the sender's transaction."""

from django.dispatch import Signal

# A transfer or a reversal went through at the provider: payout.
payout_sent = Signal()
# A payout is held (the creator's account, staff, or the provider refused): payout, notify_staff (bool).
payout_held = Signal()
