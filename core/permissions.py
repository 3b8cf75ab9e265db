from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsCreatorOrReadOnly(BasePermission):
    """Reads for whoever can see the campaign; writes for its creator only."""

    message = "Only the campaign's creator may do that."

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        campaign = getattr(obj, "campaign", obj)
        return campaign.creator_id == request.user.id


class IsCreatorOrStaff(BasePermission):
    message = "Only the campaign's creator or staff may do that."

    def has_object_permission(self, request, view, obj) -> bool:
        campaign = getattr(obj, "campaign", obj)
        return request.user.is_staff or campaign.creator_id == request.user.id


class IsBackerOrStaffReadOnly(BasePermission):
    """A pledge is the backer's; staff may read every pledge."""

    message = "This pledge belongs to someone else."

    def has_object_permission(self, request, view, obj) -> bool:
        if obj.backer_id == request.user.id:
            return True
        return request.user.is_staff and request.method in SAFE_METHODS
