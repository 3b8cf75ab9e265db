"""A campaign's video: a YouTube or Vimeo link as the creator pasted it, played through the
hosts' privacy-enhanced embeds (no cookies until the visitor plays it). Only these two hosts
are embedded, and only these are allowed in the CSP's frame-src (config/settings.py)."""

import re
from urllib.parse import parse_qs, urlsplit

EMBED_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[0-9]{1,12}")
_YOUTUBE_HOSTS = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}
)
_VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com", "player.vimeo.com"})


def _youtube_id(host: str, path: str, query: str) -> str | None:
    if host == "youtu.be":
        candidate = path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        parts = [part for part in path.split("/") if part]
        if parts[:1] == ["watch"]:
            candidate = (parse_qs(query).get("v") or [""])[0]
        elif len(parts) >= 2 and parts[0] in ("embed", "shorts", "live", "v"):
            candidate = parts[1]
        else:
            return None
    else:
        return None
    return candidate if _YOUTUBE_ID.fullmatch(candidate) else None


def _vimeo_id(host: str, path: str) -> str | None:
    if host not in _VIMEO_HOSTS:
        return None
    parts = [part for part in path.split("/") if part]
    if host == "player.vimeo.com":
        parts = parts[1:] if parts[:1] == ["video"] else []
    candidate = parts[0] if parts else ""
    return candidate if _VIMEO_ID.fullmatch(candidate) else None


def video_embed_url(link: str) -> str | None:
    """The player's address for a YouTube or Vimeo link (watch page, short link, embed); None
    for anything else (another host, no video id, not http(s))."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password or parts.port:
        return None
    host = (parts.hostname or "").lower()
    youtube = _youtube_id(host, parts.path, parts.query)
    if youtube is not None:
        return f"https://www.youtube-nocookie.com/embed/{youtube}"
    vimeo = _vimeo_id(host, parts.path)
    if vimeo is not None:
        return f"https://player.vimeo.com/video/{vimeo}?dnt=1"
    return None
