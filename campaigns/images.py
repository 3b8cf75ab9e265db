"""A campaign's picture: checked and re-encoded by core.images before it is stored."""

from core.images import ACCEPTED_FORMATS, MAX_SIDE, image_prepare

__all__ = ["ACCEPTED_FORMATS", "MAX_SIDE", "image_prepare"]
