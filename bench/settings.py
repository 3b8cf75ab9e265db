"""The production settings plus the bench's baseline view (bench/urls.py); only `make bench` uses it."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
