"""Uploads are measured as they arrive, not after they were written to disk.

Django's own handlers keep a file in memory or write it to a temporary file in full, and
only then does anyone look at its size. ``LimitedUploadHandler`` runs before them:

* a multipart request whose Content-Length is over ``upload_request_limit()`` (the largest
  file plus a megabyte for the form's other fields) is refused before a byte of it is read
  under /api/ (413 JSON), and on the site its files are skipped unread (the other fields
  still arrive, so the page can say what went wrong);
* a file whose bytes pass ``CAMPAIGN_IMAGE_MAX_BYTES`` is stopped at that chunk: the part
  already received is dropped with its temporary file, the rest is never stored.

On the site a refusal is marked on the request (``upload_refused``) for the view to turn
into a form error; Django's handlers never see the refused bytes.
"""

from typing import Any, NoReturn

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.errors import PayloadTooLarge

# Room for a form's fields besides its file (a story is at most 50,000 characters).
FORM_FIELDS_ALLOWANCE = 1024 * 1024


def upload_file_limit() -> int:
    limit: int = settings.CAMPAIGN_IMAGE_MAX_BYTES
    return limit


def upload_request_limit() -> int:
    return upload_file_limit() + FORM_FIELDS_ALLOWANCE


def upload_refused(request: HttpRequest) -> bool:
    """Whether the site's upload handler refused a file of this request."""
    return bool(getattr(request, "upload_refused", False))


def too_large_message() -> str:
    return _("The image is too large: at most %(size)s MB.") % {"size": upload_file_limit() // (1024 * 1024)}


class LimitedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: passes chunks on to Django's handlers while within limits."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.request_too_large = False

    def _is_api(self) -> bool:
        return self.request is not None and self.request.path.startswith("/api/")

    def _refuse(self) -> NoReturn:
        if self._is_api():
            raise PayloadTooLarge(
                _("The request is too large: an upload is at most %(size)s MB.")
                % {"size": upload_file_limit() // (1024 * 1024)}
            )
        if self.request is not None:
            self.request.upload_refused = True  # type: ignore[attr-defined]  # our own mark, read by upload_refused
        raise SkipFile()

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: bytes,  # type: ignore[override]  # the stubs say str; Django passes bytes
        encoding: str | None = None,
    ) -> None:
        if content_length > upload_request_limit():
            self.request_too_large = True
            if self._is_api():
                self._refuse()
        return None  # the parsing itself is Django's

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.request_too_large:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > upload_file_limit():
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler keeps the file
