"""Who may do what through the API. Staff act by their model permissions, not by being staff:
a view-only support person reads pledges but cannot refund them or cancel campaigns."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


def staff_may(user, permission: str) -> bool:
    """A staff member holding this model permission (a superuser holds them all)."""
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(permission))


class IsCreatorOrReadOnly(BasePermission):
    """Reads for whoever can see the campaign; writes for its creator only."""

    message = "Only the campaign's creator may do that."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        campaign = getattr(obj, "campaign", obj)
        return campaign.creator_id == request.user.id


class IsCreatorOrStaff(BasePermission):
    """The campaign's creator, or staff holding ``staff_permission`` (set by the subclass)."""

    message = "Only the campaign's creator or staff may do that."
    staff_permission = ""

    def has_object_permission(self, request, view, obj) -> bool:
        campaign = getattr(obj, "campaign", obj)
        return campaign.creator_id == request.user.id or staff_may(request.user, self.staff_permission)


class IsCreatorOrStaffWhoChangesCampaigns(IsCreatorOrStaff):
    staff_permission = "campaigns.change_campaign"


class IsCreatorOrStaffWhoReadsPledges(IsCreatorOrStaff):
    """Backer reports carry backers' e-mail addresses: staff need to be allowed to read pledges."""

    staff_permission = "pledges.view_pledge"


class IsStaffWhoViewsCampaigns(BasePermission):
    message = "Only staff allowed to view campaigns may do that."

    def has_permission(self, request, view) -> bool:
        return staff_may(request.user, "campaigns.view_campaign")


class IsBackerOrStaffReadOnly(BasePermission):
    """A pledge is the backer's; staff allowed to view pledges may read every pledge."""

    message = "This pledge belongs to someone else."

    def has_object_permission(self, request, view, obj) -> bool:
        if obj.backer_id == request.user.id:
            return True
        return request.method in SAFE_METHODS and staff_may(request.user, "pledges.view_pledge")
