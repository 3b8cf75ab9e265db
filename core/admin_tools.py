"""What every app's admin shares: money display, view-only bases, titled filters, secrets kept
out of sight, and confirmed service actions."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from core.errors import DomainError
from core.money import format_money

# Columns that hold a secret or what stands for one: never shown, searched, filtered on or exported
# by the admin. A SetupIntent's client secret lets whoever holds it confirm the backer's card setup;
# a token's hash is what a stolen database would be attacked with.
SECRET_FIELDS = frozenset({"setup_client_secret", "client_secret", "key_hash", "password"})


def money(amount, currency: str) -> str:
    """An amount as the staff member's language writes it ("$1,192,793.00"); exports stay plain decimals."""
    return "" if amount is None else format_money(amount, currency)


def titled(base: type[admin.FieldListFilter], title) -> type[admin.FieldListFilter]:
    """``base`` with a sidebar title of its own: a pledge's state and its campaign's state would
    both be "By state", and staff could not tell which is which."""

    class Titled(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    Titled.__name__ = Titled.__qualname__ = f"Titled{base.__name__}"
    return Titled


class PledgeboardAdmin(admin.ModelAdmin):
    """Our models' admins: no secret column in the form, and none reachable through a URL lookup
    (``?setup_client_secret__startswith=seti_1`` would reveal a secret one character at a time)."""

    def get_exclude(self, request, obj=None):
        fields = {f.name for f in self.model._meta.get_fields()}
        return (*(super().get_exclude(request, obj) or ()), *sorted(SECRET_FIELDS & fields))

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if SECRET_FIELDS.intersection(lookup.split(LOOKUP_SEP)):
            raise DisallowedModelAdminLookup(f"Filtering by {lookup} is not allowed")
        return super().lookup_allowed(lookup, value, request)


class _NoHandEdits:
    """Rows only services write: staff look, search and run actions; nothing is edited by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ViewOnlyAdmin(_NoHandEdits, PledgeboardAdmin):
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


def report_outcome(modeladmin, request, *, done: int, done_message, failures: list[str]) -> None:
    """``done_message`` is an ``ngettext_lazy(..., "count")`` plural such as "%(count)d pledge refunded."."""
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    for failure in failures[:20]:
        modeladmin.message_user(request, failure, messages.WARNING)
    if len(failures) > 20:
        more = len(failures) - 20
        text = ngettext("…and %(count)d more not changed.", "…and %(count)d more not changed.", more)
        modeladmin.message_user(request, text % {"count": more}, messages.WARNING)


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
    done_message,
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
    report_outcome(modeladmin, request, done=done, done_message=done_message, failures=failures)
    return None


def redacted(value):
    """JSON with every secret's value replaced (a webhook's SetupIntent carries its client secret)."""
    if isinstance(value, dict):
        return {key: "[hidden]" if key in SECRET_FIELDS else redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value
