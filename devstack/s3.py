"""A local S3 endpoint (devstack.s3_server: moto's server) in its own session with a pid file."""

import subprocess
import sys
import time

from .process import ensure_port_free, pid_alive, port_open, read_pid, terminate, wait_for_port
from .profiles import Profile

ACCESS_KEY = "devstack"
SECRET_KEY = "devstack-secret"  # noqa: S105 - the local server accepts any key; nothing here is secret
REGION = "us-east-1"


def client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def start(profile: Profile) -> bool:
    pidfile = profile.var / "s3.pid"
    if port_open(profile.s3_port) and pid_alive(read_pid(pidfile) or 0):
        return False
    ensure_port_free(profile.s3_port, what="S3 server", variable="AWS_S3_ENDPOINT_URL")
    profile.var.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "devstack.s3_server", "--port", str(profile.s3_port)]
    ready = profile.var / "s3.ready"
    ready.unlink(missing_ok=True)
    command += ["--bucket", profile.s3_bucket, "--ready-file", str(ready)]
    if profile.durable:
        command += ["--data-dir", str(profile.var / "s3")]
    with open(profile.var / "s3.log", "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    pidfile.write_text(f"{process.pid}\n")
    wait_for_port(profile.s3_port, timeout=60, what="S3 server")
    deadline = time.monotonic() + 60
    while not ready.exists():  # the bucket made, and the demo's objects put back
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"the S3 server did not make its bucket (see {profile.var / 's3.log'})")
        time.sleep(0.1)
    return True


def stop(profile: Profile) -> None:
    pid = read_pid(profile.var / "s3.pid")
    if pid and pid_alive(pid):
        terminate(pid, timeout=60)  # the demo's server writes its objects out first
    (profile.var / "s3.pid").unlink(missing_ok=True)
