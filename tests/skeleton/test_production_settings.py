"""Production (no devstack profile) refuses to start without its secrets, and is deploy-clean."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.support.fresh_process import settings_in_a_fresh_process

PRODUCTION = {
    "DJANGO_SECRET_KEY": "x9" * 30 + "-a-long-random-production-key",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example_from_the_dashboard",
    "SITE_URL": "https://pledgeboard.example",
    "DJANGO_ALLOWED_HOSTS": "pledgeboard.example",
    "EMAIL_URL": "smtp+tls://mailer%40pledgeboard.example:s3cret%2Fpart@smtp.example.net",
    "AWS_STORAGE_BUCKET_NAME": "pledgeboard-files",
}
EMAIL_SETTINGS = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
)
EMAIL_SETTINGS += ("EMAIL_USE_SSL", "EMAIL_FILE_PATH")
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def _outside(env: dict[str, str]) -> dict[str, str]:
    """``env`` over this process's environment without the profile and what production sets."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k != "PLEDGEBOARD_PROFILE" and k not in PRODUCTION and not k.startswith("EMAIL_")
    }
    base.pop("DJANGO_DEBUG", None)
    return {**base, **env}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=_outside(env), capture_output=True, text=True, timeout=60
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "SITE_URL",
        "EMAIL_URL",
        "AWS_STORAGE_BUCKET_NAME",
    ],
)
def test_production_refuses_to_start_without(missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def _email_settings(env: dict[str, str]) -> dict:
    return settings_in_a_fresh_process(EMAIL_SETTINGS, _outside(env))


def test_production_sends_mail_where_email_url_says():
    assert _email_settings(PRODUCTION) == {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "smtp.example.net",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer@pledgeboard.example",
        "EMAIL_HOST_PASSWORD": "s3cret/part",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_FILE_PATH": str(ROOT / "var" / "mail"),
    }


def test_the_separate_email_variables_still_work_and_win_over_the_url():
    env = {**PRODUCTION, "EMAIL_URL": "smtp+ssl://relay.example.net", "EMAIL_PORT": "2465", "EMAIL_HOST_USER": "ops"}

    mail = _email_settings(env)

    assert (mail["EMAIL_HOST"], mail["EMAIL_PORT"], mail["EMAIL_HOST_USER"]) == ("relay.example.net", 2465, "ops")
    assert (mail["EMAIL_USE_SSL"], mail["EMAIL_USE_TLS"]) == (True, False)


def test_a_backend_named_on_its_own_stands_in_for_email_url():
    """Before EMAIL_URL, production named its backend and server separately: that keeps working."""
    env = {name: value for name, value in PRODUCTION.items() if name != "EMAIL_URL"}
    env |= {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "mail.internal", "EMAIL_PORT": "25"}

    mail = _email_settings(env)

    assert (mail["EMAIL_BACKEND"], mail["EMAIL_HOST"], mail["EMAIL_PORT"]) == (SMTP, "mail.internal", 25)


def test_only_the_devstack_profiles_write_mail_to_files():
    env = {name: value for name, value in PRODUCTION.items() if name != "EMAIL_URL"}

    mail = _email_settings({**env, "PLEDGEBOARD_PROFILE": "demo"})

    assert mail["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert mail["EMAIL_FILE_PATH"] == str(ROOT / "var" / "mail")


def test_files_on_the_local_disk_only_when_a_setting_says_so():
    without_bucket = {name: value for name, value in PRODUCTION.items() if name != "AWS_STORAGE_BUCKET_NAME"}

    local = settings_in_a_fresh_process(["STORAGES"], _outside({**without_bucket, "OBJECT_STORAGE": "local"}))
    typo = _manage("check", env={**PRODUCTION, "OBJECT_STORAGE": "disk"})

    assert local["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert typo.returncode != 0 and "OBJECT_STORAGE must be s3 or local" in typo.stderr
