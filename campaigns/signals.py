"""What campaigns tell the apps above them. Receivers run inside the sender's transaction."""

from django.dispatch import Signal

# The campaign's pledges crossed its goal for the first time: campaign_id.
campaign_funded = Signal()
# A draft is about to launch (the row locked): campaign. A receiver refuses with a DomainError.
campaign_launching = Signal()
# A draft went live (the row locked, in the launch's transaction): campaign_id.
campaign_launched = Signal()
# Staff decided on a draft submitted for review: campaign_id, approved (bool).
campaign_reviewed = Signal()
# A draft was submitted for review: campaign_id.
campaign_review_submitted = Signal()
