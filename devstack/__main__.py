"""python -m devstack {up,down,env,run,demo} [--profile demo|test]

``run -- CMD`` starts what is missing, runs CMD with the services' URLs in its
environment, and stops only what it started. A service whose URL is already in
the environment (DATABASE_URL, REDIS_URL, STRIPE_API_BASE, AWS_S3_ENDPOINT_URL) is used
as it is and nothing is started for it.
"""

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys

from . import localstripe, postgres, processes, s3, valkey
from .profiles import PROFILES, ROOT, Profile

SERVICES = (
    ("DATABASE_URL", postgres, lambda p: p.database_url),
    ("REDIS_URL", valkey, lambda p: p.redis_url),
    ("STRIPE_API_BASE", localstripe, lambda p: p.stripe_api_base),
    ("AWS_S3_ENDPOINT_URL", s3, lambda p: p.s3_endpoint_url),
)


def object_storage_env(profile: Profile) -> dict[str, str]:
    """The bucket and keys of devstack's S3 server (each one the environment may override)."""
    defaults = {
        "AWS_STORAGE_BUCKET_NAME": profile.s3_bucket,
        "AWS_ACCESS_KEY_ID": s3.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": s3.SECRET_KEY,
        "AWS_S3_REGION_NAME": s3.REGION,
    }
    return {name: os.environ.get(name, value) for name, value in defaults.items()}


# What the demo runs with unless the environment says otherwise: campaigns may be short
# (make simulate runs one for a minute) and the close sweep is quick. Two-factor sign-in is
# offered but not required, so `admin`/`admin` signs straight in and a visitor's new campaign
# launches; MFA_REQUIRED_FOR_STAFF=1 (or _CREATORS)
# in the environment turns production's rule back on (the admin is then sent to set it up).
DEMO_DEFAULTS = {
    "DJANGO_DEBUG": "0",
    "CAMPAIGN_MIN_DURATION": "30",
    "CLOSE_SWEEP_INTERVAL": "5",
    "MFA_REQUIRED_FOR_STAFF": "0",
    "MFA_REQUIRED_FOR_CREATORS": "0",
    # Launches go straight through in the demo; CAMPAIGN_REVIEW_REQUIRED=1 brings staff review back.
    "CAMPAIGN_REVIEW_REQUIRED": "0",
}


def service_env(profile: Profile) -> dict[str, str]:
    env = {"PLEDGEBOARD_PROFILE": profile.name}
    for variable, _, url in SERVICES:
        env[variable] = os.environ.get(variable, url(profile))
    return env | object_storage_env(profile)


def up(profile: Profile) -> list:
    started = []
    for variable, service, _ in SERVICES:
        if variable in os.environ:
            print(f"devstack: {variable} is set, using it", flush=True)
            continue
        try:
            if service.start(profile):
                started.append(service)
        except BaseException:
            down(profile, started)
            raise
    return started


def down(profile: Profile, services=None) -> None:
    for _, service, _ in SERVICES:
        if services is None or service in services:
            service.stop(profile)


def run(profile: Profile, command: list[str]) -> int:
    started = up(profile)
    try:
        return subprocess.call(command, env={**os.environ, **service_env(profile)}, cwd=ROOT)
    finally:
        down(profile, started)


def demo_secrets(profile: Profile) -> dict[str, str]:
    """Secrets of this machine's demo, made once and kept under var/ (never the public dev defaults)."""
    path = profile.var / "secrets.json"
    if not path.exists():
        profile.var.mkdir(parents=True, exist_ok=True)
        secrets_ = {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(32),
        }
        path.write_text(json.dumps(secrets_))
        path.chmod(0o600)
    return {name: value for name, value in json.loads(path.read_text()).items() if name not in os.environ}


def demo_commands(profile: Profile, python: str) -> list[list[str]]:
    """What production runs (processes.toml), on this machine: web, every worker, beat."""
    return [
        processes.web_command(python=python, bind="127.0.0.1:8000"),
        *(processes.worker_command(worker, python=python) for worker in processes.workers().values()),
        processes.beat_command(python=python, schedule=str(profile.var / "celerybeat-schedule")),
    ]


def demo(profile: Profile) -> int:
    env = {
        **DEMO_DEFAULTS,
        **os.environ,
        **service_env(profile),
        **demo_secrets(profile),
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0"),
    }
    password = os.environ.get("DEMO_ADMIN_PASSWORD", "admin")
    started = up(profile)
    python = sys.executable
    children: list[subprocess.Popen] = []
    try:
        # The release step, then the demo's own setup and data.
        steps = [processes.release_command(python=python)]
        steps += [[python, "manage.py", "demo_setup", "--admin-password", password], [python, "manage.py", "load_demo"]]
        for step in steps:
            subprocess.run(step, env=env, cwd=ROOT, check=True)
        print(f"\nPledgeboard: http://127.0.0.1:8000/  admin: admin / {password}\n", flush=True)
        for command in demo_commands(profile, python):
            children.append(subprocess.Popen(command, env=env, cwd=ROOT))
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        down(profile, started)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument("action", choices=["up", "down", "env", "run", "demo"])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="demo")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    args.command = argv[split + 1 :]
    profile = PROFILES[args.profile]
    if args.action == "up":
        up(profile)
    elif args.action == "down":
        down(profile)
    elif args.action == "run":
        return run(profile, args.command)
    elif args.action == "demo":
        return demo(profile)
    if args.action in ("up", "env"):
        for key, value in service_env(profile).items():
            print(f"export {key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
