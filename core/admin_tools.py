"""What every app's admin shares: money display, view-only bases, titled filters, secrets kept
out of sight, and confirmed service actions."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import ngettext

from core.errors import DomainError
from core.money import format_money

# Columns that hold a secret or what stands for one: never shown, searched, filtered on or exported
# by the admin. A SetupIntent's client secret lets whoever holds it confirm the backer's card setup;
# a token's hash is what a stolen database would be attacked with.
SECRET_FIELDS = frozenset({"setup_client_secret", "client_secret", "key_hash", "password"})

if TYPE_CHECKING:  # generic in django-stubs only
    _ModelAdmin = admin.ModelAdmin[Any]
    _TabularInline = admin.TabularInline[Any, Any]
else:
    _ModelAdmin = admin.ModelAdmin
    _TabularInline = admin.TabularInline


def money(amount: Any, currency: str) -> str:
    """An amount as the staff member's language writes it ("$1,192,793.00"); exports stay plain decimals."""
    return "" if amount is None else format_money(amount, currency)


def titled(base: type[admin.FieldListFilter], title: str | Promise) -> type[admin.FieldListFilter]:
    """``base`` with a sidebar title of its own: a pledge's state and its campaign's state would
    both be "By state", and staff could not tell which is which."""

    class Titled(base):  # type: ignore[valid-type,misc]  # a subclass of the class given at run time
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    Titled.__name__ = Titled.__qualname__ = f"Titled{base.__name__}"
    return Titled


class PledgeboardAdmin(_ModelAdmin):
    """Our models' admins: no secret column in the form, and none reachable through a URL lookup
    (``?setup_client_secret__startswith=seti_1`` would reveal a secret one character at a time)."""

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = {f.name for f in self.model._meta.get_fields()}
        return (*(super().get_exclude(request, obj) or ()), *sorted(SECRET_FIELDS & fields))

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if SECRET_FIELDS.intersection(lookup.split(LOOKUP_SEP)):
            raise DisallowedModelAdminLookup(f"Filtering by {lookup} is not allowed")
        return super().lookup_allowed(lookup, value, request)


class _NoHandEdits:
    """Rows only services write: staff look, search and run actions; nothing is edited by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ViewOnlyAdmin(_NoHandEdits, PledgeboardAdmin):
    pass


class ViewOnlyInline(_NoHandEdits, _TabularInline):
    extra = 0


def confirm_action(
    modeladmin: Any,
    request: HttpRequest,
    queryset: models.QuerySet[Any],
    *,
    action: str,
    title: str,
    question: str,
    confirm_label: str,
) -> TemplateResponse:
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


def report_outcome(modeladmin: Any, request: HttpRequest, *, done: int, done_message: Any, failures: list[str]) -> None:
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
    modeladmin: Any,
    request: HttpRequest,
    queryset: models.QuerySet[Any],
    *,
    action: str,
    title: str,
    question: str,
    confirm_label: str,
    service: Callable[[Any], object],
    done_message: Any,
) -> TemplateResponse | None:
    """Ask first; once confirmed, call the service for each selected row and report what it refused."""
    if request.POST.get("post") != "yes":
        return confirm_action(
            modeladmin, request, queryset, action=action, title=title, question=question, confirm_label=confirm_label
        )
    done = 0
    failures: list[str] = []
    for obj in queryset.order_by("pk"):
        try:
            service(obj)
            done += 1
        except DomainError as error:
            failures.append(f"{obj}: {error.message}")
    report_outcome(modeladmin, request, done=done, done_message=done_message, failures=failures)
    return None


def redacted(value: Any) -> Any:
    """JSON with every secret's value replaced (a webhook's SetupIntent carries its client secret)."""
    if isinstance(value, dict):
        return {key: "[hidden]" if key in SECRET_FIELDS else redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value
