"""A web or worker process starts without the libraries only a few requests or tasks need: each
costs every start a twentieth to a fifth of a second of CPU, and the suite and production start
processes often (commit 2bc32ea measured 1.6-2.2 s a start with them, 1.1 s without). The Stripe
SDK waits for the first provider call: with aiohttp, which it loads where installed (localstripe
brings it to development and tests), it cost 0.15 s a start; mail workers, beat and management
commands never call the provider."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

ON_FIRST_USE = {"fpdf", "fontTools", "boto3", "botocore", "openpyxl", "confusable_homoglyphs", "stripe", "aiohttp"}

STARTS = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
from config.celery_app import app
get_resolver().url_patterns  # what a web process loads on its first request
app.loader.import_default_modules()  # what a worker imports before its first task
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_a_process_starts_without_the_libraries_of_a_few_requests():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    started = subprocess.run(
        [sys.executable, "-c", STARTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0, started.stderr
    loaded = set(json.loads(started.stdout.strip().splitlines()[-1]))
    assert "django" in loaded and "celery" in loaded  # it did start
    assert loaded & ON_FIRST_USE == set()
