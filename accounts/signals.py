"""What accounts asks of the apps above it when an account is to be deleted. Accounts is the
lowest domain app and imports none of them: they connect receivers in their AppConfig.ready().

``account_deletion_blockers`` (sender: the user model; ``user``): each receiver returns a list of
reasons, in words for the account's owner, why it cannot be deleted yet (a live campaign, open
pledges, an unpaid payout); an empty list when nothing of theirs stands in the way.

``account_erasing`` (sender: the user model; ``user``): sent inside the deletion's transaction
once nothing blocks it; each receiver erases or anonymises the personal data its app holds (what
it writes commits or rolls back with the deletion). Work outside the database (files, the
payment provider) is enqueued on commit.
"""

from django.dispatch import Signal

account_deletion_blockers = Signal()
account_erasing = Signal()
