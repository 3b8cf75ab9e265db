"""Production (no devstack profile) refuses to start without its secrets, and is deploy-clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x9" * 30 + "-a-long-random-production-key",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example_from_the_dashboard",
    "SITE_URL": "https://pledgeboard.example",
    "DJANGO_ALLOWED_HOSTS": "pledgeboard.example",
    "AWS_STORAGE_BUCKET_NAME": "pledgeboard-files",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "PLEDGEBOARD_PROFILE" and k not in PRODUCTION}
    base.pop("DJANGO_DEBUG", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "SITE_URL", "AWS_STORAGE_BUCKET_NAME"],
)
def test_production_refuses_to_start_without(missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_files_on_the_local_disk_only_when_a_setting_says_so():
    without_bucket = {name: value for name, value in PRODUCTION.items() if name != "AWS_STORAGE_BUCKET_NAME"}
    code = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"

    local = _manage("shell", "-c", code, env={**without_bucket, "OBJECT_STORAGE": "local"})
    typo = _manage("check", env={**PRODUCTION, "OBJECT_STORAGE": "disk"})

    assert local.returncode == 0, local.stderr
    assert local.stdout.strip().splitlines()[-1] == "django.core.files.storage.FileSystemStorage"
    assert typo.returncode != 0 and "OBJECT_STORAGE must be s3 or local" in typo.stderr
