"""Pledgeboard settings: everything an operator changes comes from the environment.

`make demo` and `make test` fill DATABASE_URL, REDIS_URL and STRIPE_API_BASE from
devstack; in production they and the secrets below must be set explicitly.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# --- Core ---------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# devstack (make demo, make test) sets PLEDGEBOARD_PROFILE; production has no
# profile, so a missing secret, key or address fails loudly at start there.
PROFILE = env("PLEDGEBOARD_PROFILE", default="")


def dev_default(value):
    """A default for a development profile only; production must say it."""
    return value if PROFILE else environ.Env.NOTSET


SECRET_KEY = env("DJANGO_SECRET_KEY", default=dev_default("insecure-dev-key"))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default=dev_default("http://127.0.0.1:8000"))

# --- HTTPS (production defaults; the devstack profiles serve plain HTTP on loopback) ---
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_TLS_PROXY", default=not PROFILE) else None
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not PROFILE)
SECURE_REDIRECT_EXEMPT = [r"^(healthz|livez|readyz)$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not PROFILE)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if PROFILE else 365 * 86400)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=not PROFILE)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=not PROFILE)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_countries",
    # Domain apps, in layer order: each imports only the ones above it in this list.
    "accounts",
    "campaigns",
    "rewards",
    "pledges",
    "closing",
    "payouts",
    "fulfilment",
    "updates",
    "notifications",
    "community",
    "discovery",
    "reports",
    "web",
    "demo",
]

MIDDLEWARE = [
    # Outermost: the latency of everything below, by route (core/metrics.py).
    "core.metrics.RequestMetricsMiddleware",
    # Every log line of the request (and of the tasks it enqueues) carries its X-Request-ID.
    "core.request_id.RequestIdMiddleware",
    # Under /api/ every error answer is JSON, including the pages Django answers before DRF.
    "core.api_errors.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files from the app itself, in production too (no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: no-store on personal answers (paths and signed-in requests; core/cache_headers.py).
    "core.cache_headers.NoStoreForPersonalMiddleware",
    # request.user.is_verified(): whether this session gave a second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # A signed-in user's own language wins over the browser's (after authentication, which it reads).
    "web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff without two-factor sign-in reach only its set-up (MFA_REQUIRED_FOR_STAFF).
    "web.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A campaign link's ?ref= (or an outside Referer) kept in a signed cookie for the checkout.
    "community.middleware.ReferralMiddleware",
    # Innermost: anonymous reads of the campaign list and detail API answered from the hot cache
    # (the throttle's count and the cache read in one round trip), before DRF.
    "campaigns.hot.HotCampaignReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
            # Template tags of core, which is a library rather than an installed app.
            "libraries": {"money": "core.templatetags.money"},
        },
    },
    {
        # Plain text (e-mail subjects and text parts): nothing is HTML-escaped, so
        # "Maya's Field Notebook & Sketchbook" stays as written. core.mail renders with it.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False, "libraries": {"money": "core.templatetags.money"}},
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LOCALE_PATHS = [BASE_DIR / "locale"]
# A language is served (and named in <html lang>) only once its translations exist: until
# then a German browser would get English text labelled lang="de".
LANGUAGES = [("en", "English")] + [
    (code, name)
    for code, name in [("de", "Deutsch")]
    if (BASE_DIR / "locale" / code / "LC_MESSAGES" / "django.mo").exists()
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# collectstatic writes here in production; devstack profiles serve from the apps (no root).
STATIC_ROOT = None if PROFILE else BASE_DIR / "var" / "static"
# Production serves collected, hashed and compressed files (the Dockerfile runs collectstatic);
# devstack profiles (demo, test) serve them straight from the apps, with no collectstatic step.
_STATICFILES = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    if PROFILE
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# The demo serves static files with DEBUG off, from the apps (no collectstatic step), each looked
# up when asked for: a middleware scanning every app's files when it is made (~600 files) did so
# for every test client the suite makes, a tenth of the suite's time.
WHITENOISE_USE_FINDERS = bool(PROFILE) or DEBUG
WHITENOISE_AUTOREFRESH = bool(PROFILE) or DEBUG

# --- Files: campaign pictures and exports -----------------------------------------------
# In object storage through S3's API (AWS S3, MinIO, Cloudflare R2, Google Cloud Storage's
# interoperability endpoint), so that every web node and every worker sees the same files and
# no process needs a shared disk; devstack runs a local S3 server (devstack/s3_server.py).
# Pictures live under media/ and are served at MEDIA_URL (through the app unless MEDIA_URL
# names a CDN or a public bucket); exports live under exports/, private, only ever streamed
# through the authenticated download view. OBJECT_STORAGE=local keeps both on this machine's
# disk instead (MEDIA_ROOT, EXPORT_ROOT): one node only, and only when a setting says so.
OBJECT_STORAGE = env("OBJECT_STORAGE", default="s3")
if OBJECT_STORAGE not in ("s3", "local"):
    raise environ.ImproperlyConfigured(f"OBJECT_STORAGE must be s3 or local, not {OBJECT_STORAGE!r}")
MEDIA_URL = env("MEDIA_URL", default="media/")
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
EXPORT_ROOT = env("EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports"))
if OBJECT_STORAGE == "s3":
    # No default bucket in production: a missing one fails at start, not at the first upload.
    AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default=dev_default(f"pledgeboard-{PROFILE}"))
    _S3 = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,  # empty: AWS itself
        "region_name": env("AWS_S3_REGION_NAME", default="us-east-1"),
        # Empty: boto3's own chain (an instance role, ~/.aws, ...).
        "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="") or None,
        "signature_version": "s3v4",
        "default_acl": None,  # the bucket's own policy: private unless its owner says otherwise
        "file_overwrite": False,
    }
    STORAGES = {
        "default": {"BACKEND": "core.s3.MediaS3Storage", "OPTIONS": {**_S3, "location": "media"}},
        "exports": {"BACKEND": "core.s3.ExportS3Storage", "OPTIONS": {**_S3, "location": "exports"}},
        "staticfiles": _STATICFILES,
    }
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": EXPORT_ROOT}},
        "staticfiles": _STATICFILES,
    }
# Campaign images: the largest upload taken, and the largest picture (in pixels) decoded.
CAMPAIGN_IMAGE_MAX_BYTES = env.int("CAMPAIGN_IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
CAMPAIGN_IMAGE_MAX_PIXELS = env.int("CAMPAIGN_IMAGE_MAX_PIXELS", default=40_000_000)
# Request bodies (Django's defaults): a larger body is a 413 under /api/ (core/api_errors.py), for
# JSON too (core/parsers.py); uploaded files count against CAMPAIGN_IMAGE_MAX_BYTES instead.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
# Uploads are measured as they arrive (core/uploads.py), before Django keeps or writes them.
FILE_UPLOAD_HANDLERS = [
    "core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Background exports: private (never served as media), kept EXPORT_RETENTION.
EXPORT_RETENTION = timedelta(seconds=env.int("EXPORT_RETENTION", default=7 * 86400))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and the web pages ------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my-pledges"
LOGOUT_REDIRECT_URL = "home"
# A sign-up's e-mail verification link (and an e-mail change's) works this long, in seconds.
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 86400)
# E-mails about accounts (sign-up links and their resends, password resets, notes to an address's
# owner, e-mail changes) per address and per client address in each ACCOUNT_MAIL_WINDOW seconds.
ACCOUNT_MAILS_PER_ADDRESS = env.int("ACCOUNT_MAILS_PER_ADDRESS", default=5)
ACCOUNT_MAILS_PER_CLIENT = env.int("ACCOUNT_MAILS_PER_CLIENT", default=20)
ACCOUNT_MAIL_WINDOW = env.int("ACCOUNT_MAIL_WINDOW", default=3600)
# An unsubscribe link in an e-mail works this long (seconds) after the e-mail was sent.
UNSUBSCRIBE_LINK_MAX_AGE = env.int("UNSUBSCRIBE_LINK_MAX_AGE", default=365 * 86400)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 3600)
# Failed sign-ins (passwords and codes) allowed, in DRF's rate notation, several windows each
# (accounts/login_limits.py says why these): per account and client address, then that client
# waits; per client address, whatever the accounts; per account, from anywhere (past it, only
# clients with failures of their own on the account wait).
LOGIN_LIMIT_ACCOUNT_CLIENT = env("LOGIN_LIMIT_ACCOUNT_CLIENT", default="5/minute,10/hour,20/day")
LOGIN_LIMIT_CLIENT = env("LOGIN_LIMIT_CLIENT", default="30/minute,100/hour,500/day")
LOGIN_LIMIT_ACCOUNT = env("LOGIN_LIMIT_ACCOUNT", default="50/hour,200/day")
for _gone in ("LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_CLIENT", "LOGIN_FAILURE_WINDOW"):
    if _gone in env.ENVIRON:
        raise ImproperlyConfigured(f"{_gone} is replaced by LOGIN_LIMIT_ACCOUNT_CLIENT, _CLIENT and _ACCOUNT")
# Two-factor sign-in (django-otp: TOTP apps and recovery codes): staff must turn it on before
# they reach anything else; a creator before launching a campaign.
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=True)
MFA_REQUIRED_FOR_CREATORS = env.bool("MFA_REQUIRED_FOR_CREATORS", default=True)
# Staff review a campaign before it launches: launch submits it, staff with campaigns.review_campaign
# approve it or ask for changes, then the creator launches it (docs/community.md). The demo turns it off.
CAMPAIGN_REVIEW_REQUIRED = env.bool("CAMPAIGN_REVIEW_REQUIRED", default=True)
# --- community (comments, pre-launch, referrals) ---
# Comments (and replies) one account may post: "N/second|minute|hour|day", comma-separated windows.
COMMENT_RATE_LIMIT = env("COMMENT_RATE_LIMIT", default="5/minute,60/day")
# Reports (of comments and campaigns) one account may file.
REPORT_RATE_LIMIT = env("REPORT_RATE_LIMIT", default="10/hour")
# A coming-soon page shows how many follow it from this many on (fewer reads as a flop).
FOLLOWER_COUNT_SHOWN_FROM = env.int("FOLLOWER_COUNT_SHOWN_FROM", default=10)
# How long a ?ref= (or an outside Referer) is kept for the checkout, in seconds (signed cookie).
REFERRAL_COOKIE_AGE = env.int("REFERRAL_COOKIE_AGE", default=30 * 86400)
OTP_TOTP_ISSUER = "Pledgeboard"
# django-otp's own throttle delays a device for everyone after a wrong code (an account lock by
# another name); wrong codes count in the login limits above instead, per account and client.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# Behind a reverse proxy every request comes from the proxy: name the request header (as in
# request.META, e.g. HTTP_X_REAL_IP) that carries the client's address. Empty: REMOTE_ADDR.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# psycopg's pool, one per process: a thread takes a connection for its request or task and gives
# it back at the end, so a process never holds more than DATABASE_POOL_MAX_SIZE connections
# whatever its threads (gunicorn's WEB_THREADS, a collection worker's 48). The bound of the whole
# site is (web processes + worker processes) x DATABASE_POOL_MAX_SIZE, which must stay under
# PostgreSQL's max_connections. A thread finding the pool empty waits DATABASE_POOL_TIMEOUT
# seconds. DATABASE_POOL_MAX_SIZE=0 turns the pool off: then each thread keeps its own connection
# for DATABASE_CONN_MAX_AGE seconds (Django refuses persistent connections beside a pool).
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=16)
if DATABASE_POOL_MAX_SIZE > 0:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DATABASE_POOL_MIN_SIZE", default=2), DATABASE_POOL_MAX_SIZE),
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        # A connection is replaced after this long (and one idle this long closed, above min_size).
        "max_lifetime": 3600.0,
        "max_idle": 600.0,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The pool checks a connection before handing it out (one round trip to the server): a
    # restarted server costs no failed request. DATABASE_POOL_CHECK=0 saves the round trip.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_POOL_CHECK", default=True)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

# --- Redis: broker, cache, locks ----------------------------------------------
REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pledgeboard",
    }
}

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes every database connection around every task unless this is
# set; config/celery_app.py closes only old or broken ones instead (DATABASE_CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = 1_000_000_000
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# An unacked message comes back after this long; tasks are idempotent, so a
# redelivery is harmless, and the sweepers cover a message that is lost outright.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues, so that one kind of work never waits behind another: a big campaign's
# collection (rate-limited, hours for the largest) or an update mailed to its backers
# never delays closing campaigns, the sweeps or a single e-mail. A worker started
# without -Q consumes all of them; production runs one worker for default+mail and one
# for collection+exports (processes.toml).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("collection"), Queue("fees"), Queue("mail"), Queue("exports")]
CELERY_TASK_ROUTES = {
    "closing.tasks.collect_pledge": {"queue": "collection"},
    "closing.tasks.collect_campaign": {"queue": "collection"},
    # One provider look-up per collected charge, under the same budget (its own operation) but in a
    # queue of its own: behind the charges in one queue, a chunk's look-ups held up the next chunk
    # of charges (make bench: charges in bursts, 15/s on average instead of 24/s).
    "payouts.tasks.record_charge_fee": {"queue": "fees"},
    "notifications.tasks.*": {"queue": "mail"},
    "updates.tasks.*": {"queue": "mail"},
    "community.tasks.*": {"queue": "mail"},
    "fulfilment.tasks.*": {"queue": "mail"},
    "reports.tasks.build_export": {"queue": "exports"},
    # everything else (close_due_campaigns, collection_sweep, expire_pending_pledges,
    # export_sweep) goes to "default"
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "close-due-campaigns": {
        "task": "closing.tasks.close_due_campaigns",
        "schedule": float(env.int("CLOSE_SWEEP_INTERVAL", default=30)),
    },
    "expire-pending-pledges": {"task": "pledges.tasks.expire_pending_pledges", "schedule": 60.0},
    "forget-idempotency-keys": {"task": "pledges.tasks.forget_idempotency_keys", "schedule": 3600.0},
    "collection-sweep": {"task": "closing.tasks.collection_sweep", "schedule": 300.0},
    "mail-sweep": {"task": "notifications.tasks.mail_sweep", "schedule": 60.0},
    "update-mail-sweep": {"task": "updates.tasks.update_mail_sweep", "schedule": 60.0},
    "community-mail-sweep": {"task": "community.tasks.community_mail_sweep", "schedule": 60.0},
    "comment-digest": {"task": "community.tasks.comment_digest", "schedule": crontab(hour=8, minute=5)},
    "fulfilment-mail-sweep": {"task": "fulfilment.tasks.fulfilment_mail_sweep", "schedule": 60.0},
    "survey-reminders": {
        "task": "fulfilment.tasks.survey_reminder_sweep",
        "schedule": float(env.int("SURVEY_REMINDER_SWEEP_INTERVAL", default=3600)),
    },
    "ending-soon": {"task": "notifications.tasks.ending_soon_sweep", "schedule": 3600.0},
    "creator-digest": {"task": "notifications.tasks.creator_digest", "schedule": crontab(hour=8, minute=0)},
    "export-sweep": {"task": "reports.tasks.export_sweep", "schedule": 300.0},
    "forget-old-exports": {"task": "reports.tasks.forget_old_exports", "schedule": 3600.0},
    "forget-expired-tokens": {"task": "accounts.tasks.forget_expired_tokens", "schedule": 3600.0},
    "forget-stale-signups": {"task": "accounts.tasks.forget_stale_signups", "schedule": 3600.0},
    "payout-sweep": {
        "task": "payouts.tasks.payout_sweep",
        "schedule": float(env.int("PAYOUT_SWEEP_INTERVAL", default=300)),
    },
}

# --- Payments (Stripe) ---------------------------------------------------------
# No production fallback: a public default secret would let anyone sign webhooks.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default=dev_default("sk_test_pledgeboard"))
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default=dev_default("pk_test_pledgeboard"))
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=dev_default("whsec_pledgeboard"))
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # empty: the real Stripe API
# Stripe.js for the card field: Stripe's own in production, localstripe's shim in development.
STRIPE_JS_URL = env(
    "STRIPE_JS_URL",
    default=f"{STRIPE_API_BASE.rstrip('/')}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/",
)
# The provider's limits in requests per second, shared by every process (pledges/payments/ratelimit.py):
# Stripe's live mode allows 100 per account and 25 per operation (e.g. POST /v1/payment_intents);
# background work (collection, clean-ups) always has STRIPE_BACKGROUND_SHARE of each; the rest is
# the reserve of the people waiting on a request, lent to background work only while unused. 0 turns a limit off.
STRIPE_RATE_LIMIT = env.int("STRIPE_RATE_LIMIT", default=100)
STRIPE_OPERATION_RATE_LIMIT = env.int("STRIPE_OPERATION_RATE_LIMIT", default=25)
STRIPE_BACKGROUND_SHARE = env.float("STRIPE_BACKGROUND_SHARE", default=0.6)


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


# --- Content Security Policy (django-csp): scripts only from us and Stripe.js --------------
_STRIPE_ORIGINS = sorted({_origin(STRIPE_JS_URL), _origin(STRIPE_API_BASE or "https://api.stripe.com")})
# Account Links and login links: Stripe's connect.stripe.com, the emulator's own pages in development.
_CONNECT_ORIGIN = _origin(STRIPE_API_BASE) if STRIPE_API_BASE else "https://connect.stripe.com"
_VIDEO_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]  # = campaigns.video.EMBED_ORIGINS
CONTENT_SECURITY_POLICY = {
    # Django's admin and the Swagger UI are not ours to rewrite; staff-only or documentation.
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/api/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *_STRIPE_ORIGINS],
        "connect-src": ["'self'", *_STRIPE_ORIGINS],
        # Campaign videos: exactly the privacy-enhanced players campaigns.video embeds.
        "frame-src": ["'self'", *_STRIPE_ORIGINS, "https://hooks.stripe.com", *_VIDEO_ORIGINS],
        # Pictures come from the app (/media/), or from the CDN or public bucket MEDIA_URL names.
        "img-src": ["'self'", "data:", *([_origin(MEDIA_URL)] if "://" in MEDIA_URL else [])],
        # Templates set a few style attributes; no script runs from them.
        "style-src": ["'self'", "'unsafe-inline'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # The payouts page's forms redirect to the provider's hosted onboarding and Express dashboard.
        "form-action": ["'self'", _CONNECT_ORIGIN],
        "frame-ancestors": ["'none'"],
    },
}
# Seconds to wait for one provider answer; a timeout is a transient error (retried, looked up first).
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=20.0)
# How long /readyz trusts its last look at the provider (shared by all instances through the cache).
PROVIDER_STATUS_TTL = env.int("PROVIDER_STATUS_TTL", default=30)

# --- Campaign rules -------------------------------------------------------------
CAMPAIGN_MIN_DURATION = timedelta(seconds=env.int("CAMPAIGN_MIN_DURATION", default=86400))
CAMPAIGN_MAX_DURATION = timedelta(seconds=env.int("CAMPAIGN_MAX_DURATION", default=60 * 86400))
# Drafts one creator may keep at once (campaign_create refuses the next with 409 too_many_drafts).
DRAFTS_PER_USER = env.int("DRAFTS_PER_USER", default=20)
CLOSE_SWEEP_INTERVAL = env.int("CLOSE_SWEEP_INTERVAL", default=30)
ERRORED_PLEDGE_GRACE = timedelta(seconds=env.int("ERRORED_PLEDGE_GRACE", default=7 * 86400))
PENDING_PLEDGE_TTL = timedelta(seconds=env.int("PENDING_PLEDGE_TTL", default=5 * 60))
# Card-less holds of one limited tier one client address may have at once (an account has one).
TIER_HOLDS_PER_CLIENT = env.int("TIER_HOLDS_PER_CLIENT", default=3)
PLATFORM_FEE_PERCENT = Decimal(env.str("PLATFORM_FEE_PERCENT", default="5"))
# Late pledges: how long after the deadline a creator may keep taking them (seconds), and the most a
# late price may exceed a tier's minimum (percent).
LATE_PLEDGES_MAX_DURATION = timedelta(seconds=env.int("LATE_PLEDGES_MAX_DURATION", default=90 * 86400))
LATE_PRICE_MAX_PERCENT = env.int("LATE_PRICE_MAX_PERCENT", default=100)

# --- Payouts (Stripe Connect) ------------------------------------------------------
# Seconds after a successful close before the creator's money is transferred (Kickstarter: ~14 days).
PAYOUT_DELAY = timedelta(seconds=env.int("PAYOUT_DELAY", default=14 * 86400))
# Share of the net kept back at the first payout (Indiegogo keeps 5%); released PAYOUT_RESERVE_HOLD later.
PAYOUT_RESERVE_PERCENT = Decimal(env.str("PAYOUT_RESERVE_PERCENT", default="0"))
PAYOUT_RESERVE_HOLD = timedelta(seconds=env.int("PAYOUT_RESERVE_HOLD", default=90 * 86400))
# Launch needs a payouts-enabled Connect account (the environment wins).
PAYOUTS_REQUIRED_TO_LAUNCH = env.bool("PAYOUTS_REQUIRED_TO_LAUNCH", default=True)
# Country of new Express accounts (Stripe needs one at creation).
PAYOUT_CONNECT_COUNTRY = env.str("PAYOUT_CONNECT_COUNTRY", default="US")
# Reports with more rows than this are built by a Celery task (202 + a job to follow), not streamed.
EXPORT_ASYNC_THRESHOLD = env.int("EXPORT_ASYNC_THRESHOLD", default=5000)
# The studio's backer report (XLSX, slower to write than CSV) past this many rows is a background export.
STUDIO_INLINE_EXPORT_ROWS = env.int("STUDIO_INLINE_EXPORT_ROWS", default=2000)

# --- Fulfilment (backer surveys, shipping) ------------------------------------------
# Days after a survey is sent when those who have not answered are reminded (one e-mail each).
SURVEY_REMINDER_DAYS = [int(days) for days in env.list("SURVEY_REMINDER_DAYS", default=["3", "7"])]
# Seconds a creator waits between two "remind those who have not answered" (each backer once per reminder).
SURVEY_MANUAL_REMINDER_INTERVAL = timedelta(seconds=env.int("SURVEY_MANUAL_REMINDER_INTERVAL", default=86400))
# Seconds between the beat sweeps that write the reminders due.
SURVEY_REMINDER_SWEEP_INTERVAL = env.int("SURVEY_REMINDER_SWEEP_INTERVAL", default=3600)
# The tracking-number CSV a creator uploads: its size in bytes and rows at most.
FULFILMENT_CSV_MAX_BYTES = env.int("FULFILMENT_CSV_MAX_BYTES", default=4 * 1024 * 1024)
FULFILMENT_CSV_MAX_ROWS = env.int("FULFILMENT_CSV_MAX_ROWS", default=50_000)

# --- E-mail ----------------------------------------------------------------------
# Where mail goes, as one URL (django-environ's email_url): smtp://user:password@host:25,
# smtp+tls://…:587 (STARTTLS), smtp+ssl://…:465, consolemail://, filemail:///var/mail (a path
# relative to the project; four slashes for an absolute one). Production has no default: it
# must say where mail goes (every provider offers SMTP), or name a backend of its own with
# EMAIL_BACKEND (a provider's API through django-anymail, say). The devstack profiles (demo,
# tests) write files under var/mail. The separate EMAIL_* variables still work and win over
# the URL's parts.
_EMAIL_URL = env.email_url(
    "EMAIL_URL",
    default="dummymail://" if "EMAIL_BACKEND" in env.ENVIRON else dev_default("filemail:///var/mail"),
)
_EMAIL_TLS = env.bool("EMAIL_USE_TLS", default=_EMAIL_URL.get("EMAIL_USE_TLS", False))
_EMAIL_SSL = env.bool("EMAIL_USE_SSL", default=_EMAIL_URL.get("EMAIL_USE_SSL", False))
EMAIL_BACKEND = env("EMAIL_BACKEND", default=_EMAIL_URL["EMAIL_BACKEND"])
EMAIL_FILE_PATH = str(BASE_DIR / env("EMAIL_FILE_PATH", default=_EMAIL_URL["EMAIL_FILE_PATH"] or "var/mail"))
EMAIL_HOST = env("EMAIL_HOST", default=_EMAIL_URL["EMAIL_HOST"] or "localhost")
EMAIL_PORT = env.int(
    "EMAIL_PORT", default=_EMAIL_URL["EMAIL_PORT"] or (465 if _EMAIL_SSL else 587 if _EMAIL_TLS else 25)
)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default=_EMAIL_URL["EMAIL_HOST_USER"] or "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default=_EMAIL_URL["EMAIL_HOST_PASSWORD"] or "")
EMAIL_USE_TLS, EMAIL_USE_SSL = _EMAIL_TLS, _EMAIL_SSL
# Seconds an SMTP server may take to answer: a silent one must not hold a worker's thread forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Pledgeboard <noreply@pledgeboard.local>")
# A message the backend refuses this many times is marked failed and never retried.
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=5)
# Wait after the first refusal, doubled after each further one (1, 2, 4, 8 minutes by default).
MAIL_RETRY_BACKOFF = timedelta(seconds=env.int("MAIL_RETRY_BACKOFF", default=60))
# How long a sender holds a row it is sending; after that another may take it over. Longer
# than CELERY_TASK_TIME_LIMIT, so a holder that is still alive is never overtaken.
MAIL_CLAIM_LEASE = timedelta(seconds=env.int("MAIL_CLAIM_LEASE", default=CELERY_TASK_TIME_LIMIT + 60))

# --- REST API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # How many reverse proxies in front of us append to X-Forwarded-For: the client is the
    # address that many hops from the right. 0 (the default) trusts no header at all, so a
    # forged X-Forwarded-For cannot buy a fresh throttle budget.
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonThrottle",
        "core.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="120/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
        "pledge": env("API_THROTTLE_PLEDGE", default="30/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pledgeboard API",
    "DESCRIPTION": "Campaigns, reward tiers and pledges. Amounts are decimal strings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One API class per operation; a URL with several documents each from its own class.
    "DEFAULT_GENERATOR_CLASS": "core.openapi.SchemaGenerator",
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.add_error_responses",
    ],
}

# --- Logs, metrics, error reports -------------------------------------------------------
# One line per record on stderr: JSON (for a log pipeline) or text (for a person at a terminal),
# each with the request id (core/request_id.py) of the request or task it belongs to.
LOG_FORMAT = env("LOG_FORMAT", default="text" if PROFILE else "json")
if LOG_FORMAT not in ("json", "text"):
    raise environ.ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # The SDK logs every request at INFO; failures surface through our own logging.
    "loggers": {"stripe": {"level": "WARNING"}},
}
# GET /metrics (Prometheus) answers only a scraper sending "Authorization: Bearer <METRICS_TOKEN>";
# without a token configured it is a 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Error reports to Sentry (or a compatible service) when SENTRY_DSN is set: Django's requests
# and Celery's tasks, without personal data (core/error_reports.py).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from core.error_reports import scrub_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default=PROFILE or "production"),
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        before_send=scrub_event,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# API tokens: how long one is valid, and how often its last use is written down.
API_TOKEN_TTL = timedelta(seconds=env.int("API_TOKEN_TTL", default=30 * 86400))
API_TOKEN_TOUCH_EVERY = timedelta(minutes=5)

# How long after collection a creator may refund a pledge themselves (staff: always).
CREATOR_REFUND_WINDOW = timedelta(seconds=env.int("CREATOR_REFUND_WINDOW", default=30 * 86400))
# Errored pledges are charged again this often until fixed or dropped.
ERRORED_PLEDGE_RETRY_INTERVAL = timedelta(seconds=env.int("ERRORED_PLEDGE_RETRY_INTERVAL", default=48 * 3600))
# A charge still "processing" after this long is looked up and finished by the sweeper.
STALE_CHARGE_AFTER = timedelta(seconds=env.int("STALE_CHARGE_AFTER", default=120))
# A collect_pledge message counts as lost (and the sweeper sends another) only once it
# was sent this long ago and the pledge is still uncollected. The fan-out keeps at most
# COLLECTION_CHUNK messages per collecting campaign in the queue, so a message waits
# about COLLECTION_CHUNK x (campaigns collecting at once) / (the charges background work may
# send a second: STRIPE_OPERATION_RATE_LIMIT x STRIPE_BACKGROUND_SHARE, 15) seconds: 34 s per
# campaign at the defaults; the hour leaves room for a slow provider.
COLLECTION_LOST_AFTER = timedelta(seconds=env.int("COLLECTION_LOST_AFTER", default=3600))
# Pledges a campaign's fan-out sends per step; the next step queues behind them.
COLLECTION_CHUNK = env.int("COLLECTION_CHUNK", default=500)
