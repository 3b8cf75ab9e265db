from django.contrib.auth.models import User
from django.db.models import QuerySet

from core.permissions import staff_may
from pledges.models import Pledge


def pledges_visible_to(user: User) -> QuerySet[Pledge]:
    """A backer sees their own pledges; staff see all."""
    pledges = Pledge.objects.select_related("campaign", "backer").prefetch_related("add_on_lines__add_on")
    return pledges if staff_may(user, "pledges.view_pledge") else pledges.filter(backer=user)


def pledges_refundable_by(user: User) -> QuerySet[Pledge]:
    """A creator may refund the pledges to their campaigns (the service checks the window); staff any."""
    pledges = Pledge.objects.select_related("campaign", "backer")
    return pledges if staff_may(user, "pledges.refund_pledge") else pledges.filter(campaign__creator=user)
