"""What campaigns tell the apps above them. Receivers run inside the sender's transaction."""

from django.dispatch import Signal

# The campaign's pledges crossed its goal for the first time: campaign_id.
campaign_funded = Signal()
# A draft is about to launch (the row locked): campaign. A receiver refuses with a DomainError.
campaign_launching = Signal()
