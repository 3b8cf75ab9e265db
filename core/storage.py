"""Files in object storage: campaign pictures (``storages["default"]``) and exports
(``storages["exports"]``), on S3's API through django-storages (config/settings.py, with the
backends of core/s3.py).

Every process reads and writes the same bucket, so a picture uploaded through one web node
shows through another and an export built by any worker downloads through any node; nothing
is kept on a local disk. Pictures are served at MEDIA_URL: by default through the app
(``serve_media``: the object streamed, cached by browsers for a year, since a picture's name
is random and never reused), or by a CDN or a public bucket when MEDIA_URL names one.
Exports stay private: streamed to whoever passed the download view's permission checks.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import Storage, storages
from django.http import Http404, HttpRequest, StreamingHttpResponse

CHUNK = 64 * 1024
# What a picture's name looks like (campaigns.images: a random token, re-encoded as JPEG).
MEDIA_NAME = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.(jpg|jpeg|png|webp|gif)")
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"


def exports_storage() -> Storage:
    return storages["exports"]


def media_storage() -> Storage:
    return storages["default"]


def _closing(chunks: Iterator[bytes], body: Any) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        body.close()


def open_stream(storage: Storage, name: str) -> tuple[Iterator[bytes], int] | None:
    """The stored file as chunks and its size in bytes, read as they are sent (never whole in
    memory or on disk: django-storages' own ``open`` downloads the object first); None if
    there is no such file."""
    # An S3 storage exists only once its module is loaded: looked up, not imported, so a process
    # on local files never loads boto3 here.
    s3 = sys.modules.get("storages.backends.s3")
    if s3 is not None and isinstance(storage, s3.S3Storage):
        from botocore.exceptions import ClientError
        from storages.utils import clean_name

        try:
            found = storage.connection.meta.client.get_object(
                Bucket=storage.bucket_name, Key=storage._normalize_name(clean_name(name))
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        body = found["Body"]
        return _closing(body.iter_chunks(CHUNK), body), int(found["ContentLength"])
    try:
        file = storage.open(name, "rb")
    except (FileNotFoundError, IsADirectoryError):
        return None
    return _closing(file.chunks(CHUNK), file), file.size


def serve_media(request: HttpRequest, path: str) -> StreamingHttpResponse:
    """GET /media/<name>: a campaign picture from the media storage, public like the page
    that shows it."""
    if not MEDIA_NAME.fullmatch(path):
        raise Http404
    opened = open_stream(media_storage(), path)
    if opened is None:
        raise Http404
    chunks, size = opened
    content_type = "image/jpeg" if path.endswith((".jpg", ".jpeg")) else f"image/{path.rsplit('.', 1)[1]}"
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Length"] = str(size)
    response["Cache-Control"] = MEDIA_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response
