"""A picture (a campaign's, a creator's avatar): an upload is checked with Pillow and re-encoded before it is stored.

Only the decoded pixels are kept: the upload's own bytes (and whatever else a file can
carry - EXIF with a location, a script pretending to be a PNG, a second file appended)
never reach the media directory. The stored file is a fresh JPEG, at most MAX_SIDE pixels
on its longer side, under a random name nobody can guess or enumerate.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from core.errors import InvalidInput

# What Pillow must find inside the file, whatever its name or declared type says.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_SIDE = 2000
JPEG_QUALITY = 85


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_image")


def image_prepare(upload: Any, *, max_side: int = MAX_SIDE) -> ContentFile[bytes]:
    """The upload as a re-encoded JPEG ready for ``ImageField.save``; InvalidInput if it is not
    a PNG, JPEG, WebP or GIF picture, is larger than CAMPAIGN_IMAGE_MAX_BYTES, or has more
    than CAMPAIGN_IMAGE_MAX_PIXELS pixels (a decompression bomb is refused before decoding)."""
    limit = settings.CAMPAIGN_IMAGE_MAX_BYTES
    if upload.size > limit:
        raise _refuse(_("The image is too large: at most %(size)s MB.") % {"size": limit // (1024 * 1024)})
    try:
        upload.seek(0)
        with Image.open(upload) as probe:  # reads the header only
            if probe.format not in ACCEPTED_FORMATS:
                raise _refuse(_("Upload a PNG, JPEG, WebP or GIF image."))
            width, height = probe.size
            if width * height > settings.CAMPAIGN_IMAGE_MAX_PIXELS:
                raise _refuse(_("The image has too many pixels."))
            probe.verify()  # the whole file, without decoding it
        upload.seek(0)
        with Image.open(upload, formats=sorted(ACCEPTED_FORMATS)) as opened:
            picture: Image.Image = opened
            # Shrunk first (a JPEG is decoded at a reduced scale), turned upright after: the
            # full-size pixels are never copied, so a big picture costs one decode, not two.
            picture.thumbnail((max_side, max_side))
            picture = ImageOps.exif_transpose(picture)
            if picture.mode in ("RGBA", "LA", "P", "PA"):
                picture = picture.convert("RGBA")
                flat = Image.new("RGB", picture.size, "white")
                flat.paste(picture, mask=picture.getchannel("A"))
                picture = flat
            out = io.BytesIO()
            picture.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except InvalidInput:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("The file is not an image we can read (PNG, JPEG, WebP or GIF).")) from None
    return ContentFile(out.getvalue(), name=f"{secrets.token_urlsafe(18)}.jpg")
