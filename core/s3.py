"""The S3 backends config/settings.py's STORAGES names. They live apart from core/storage.py's
helpers because django-storages' S3 backend imports boto3 (a tenth of a second of CPU): Django
imports this module when a process first uses a storage, so a worker or web process that never
touches a file does not pay for it at start-up."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class MediaS3Storage(S3Storage):  # type: ignore[misc]  # django-storages ships no types
    """Campaign pictures. A picture's URL is MEDIA_URL + its name: the app's own /media/ view
    (the same path on every node, so cached pages and API answers hold for every host), or a
    CDN in front of the bucket. No request is made to build a URL."""

    def url(self, name: str, parameters: object = None, expire: object = None, http_method: object = None) -> str:
        url: str = urljoin(settings.MEDIA_URL, filepath_to_uri(clean_name(name)))
        return url


class ExportS3Storage(S3Storage):  # type: ignore[misc]  # django-storages ships no types
    """Exports: private objects, uploaded from the worker's temporary file in parts of 8 MB,
    two at a time (boto3's default of ten would hold 80 MB of a big report in memory)."""

    transfer_config: Any  # S3Storage's setting (AWS_S3_TRANSFER_CONFIG), None by default

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.transfer_config is None:
            from boto3.s3.transfer import TransferConfig

            self.transfer_config = TransferConfig(max_concurrency=2, multipart_chunksize=8 * 1024 * 1024)
