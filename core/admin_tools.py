"""What every app's admin shares: money display, view-only bases, and confirmed service actions."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.template.response import TemplateResponse

from core.errors import DomainError
from core.money import format_money


def money(amount, currency: str) -> str:
    """An amount as the staff member's language writes it ("$1,192,793.00"); exports stay plain decimals."""
    return "" if amount is None else format_money(amount, currency)


class _NoHandEdits:
    """Rows only services write: staff look, search and run actions; nothing is edited by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ViewOnlyAdmin(_NoHandEdits, admin.ModelAdmin):
    pass


class ViewOnlyInline(_NoHandEdits, admin.TabularInline):
    extra = 0


def confirm_action(modeladmin, request, queryset, *, action: str, title: str, question: str, confirm_label: str):
    """An intermediate page like the delete action's; the action runs when it is posted back."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "confirm_label": confirm_label,
        "queryset": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/pledgeboard/confirm_action.html", context)


def report_outcome(modeladmin, request, *, done: int, verb: str, failures: list[str]) -> None:
    if done:
        modeladmin.message_user(request, f"{done} {verb}.", messages.SUCCESS)
    for failure in failures[:20]:
        modeladmin.message_user(request, failure, messages.WARNING)
    if len(failures) > 20:
        modeladmin.message_user(request, f"…and {len(failures) - 20} more not changed.", messages.WARNING)


def run_confirmed(
    modeladmin,
    request,
    queryset: models.QuerySet,
    *,
    action: str,
    title: str,
    question: str,
    confirm_label: str,
    service: Callable[[models.Model], object],
    verb: str,
):
    """Ask first; once confirmed, call the service for each selected row and report what it refused."""
    if request.POST.get("post") != "yes":
        return confirm_action(
            modeladmin, request, queryset, action=action, title=title, question=question, confirm_label=confirm_label
        )
    done, failures = 0, []
    for obj in queryset.order_by("pk"):
        try:
            service(obj)
            done += 1
        except DomainError as error:
            failures.append(f"{obj}: {error.message}")
    report_outcome(modeladmin, request, done=done, verb=verb, failures=failures)
    return None
