"""What closing tells the apps above it. Receivers run inside the sender's transaction."""

from django.dispatch import Signal

# A live campaign closed at its deadline: campaign_id, successful (bool).
campaign_closed = Signal()
# An attempt to charge a pledge failed (declined, or the bank wants authentication): pledge, charge.
pledge_payment_failed = Signal()
# A pledge was collected: its charge succeeded (sent once per charge). pledge, charge.
pledge_collected = Signal()
