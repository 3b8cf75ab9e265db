"""Who may do what through the API. Staff act by their model permissions, not by being staff:
a view-only support person reads pledges but cannot refund them or cancel campaigns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


def staff_may(user: Any, permission: str) -> bool:
    """A staff member holding this model permission (a superuser holds them all)."""
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm(permission))


class IsCreatorOrReadOnly(BasePermission):
    """Reads for whoever can see the campaign; writes for its creator only."""

    message = "Only the campaign's creator may do that."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        campaign = getattr(obj, "campaign", obj)
        return bool(campaign.creator_id == request.user.id)


class IsCreatorOrStaff(BasePermission):
    """The campaign's creator, or staff holding ``staff_permission`` (set by the subclass)."""

    message = "Only the campaign's creator or staff may do that."
    staff_permission = ""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        campaign = getattr(obj, "campaign", obj)
        return bool(campaign.creator_id == request.user.id) or staff_may(request.user, self.staff_permission)


class IsCreatorOrStaffWhoChangesCampaigns(IsCreatorOrStaff):
    staff_permission = "campaigns.change_campaign"


# Reports that leave the platform need a permission of their own: reading pledges on screen is
# not leave to take every backer's e-mail address away in a file.
EXPORT_BACKER_EMAILS = "reports.export_backer_emails"
EXPORT_PLATFORM_REPORT = "reports.export_platform_report"


class IsCreatorOrStaffWhoExportsBackerEmails(IsCreatorOrStaff):
    """Backer reports carry backers' e-mail addresses: staff need the permission to export them."""

    staff_permission = EXPORT_BACKER_EMAILS


class IsStaffWhoExportsPlatformReport(BasePermission):
    message = "Only staff allowed to export the platform report may do that."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return staff_may(request.user, EXPORT_PLATFORM_REPORT)


class IsBackerOrStaffReadOnly(BasePermission):
    """A pledge is the backer's; staff allowed to view pledges may read every pledge."""

    message = "This pledge belongs to someone else."

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if obj.backer_id == request.user.id:
            return True
        return request.method in SAFE_METHODS and staff_may(request.user, "pledges.view_pledge")
