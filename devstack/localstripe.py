"""localstripe through devstack.localstripe_server, in its own session with a pid file."""

import subprocess
import sys

from .process import ensure_port_free, pid_alive, port_open, read_pid, terminate, wait_for_port
from .profiles import Profile


def start(profile: Profile) -> bool:
    pidfile = profile.var / "localstripe.pid"
    if port_open(profile.localstripe_port) and pid_alive(read_pid(pidfile) or 0):
        return False
    ensure_port_free(profile.localstripe_port, what="localstripe", variable="STRIPE_API_BASE")
    profile.var.mkdir(parents=True, exist_ok=True)
    with open(profile.var / "localstripe.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.localstripe_server", "--port", str(profile.localstripe_port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pidfile.write_text(f"{process.pid}\n")
    wait_for_port(profile.localstripe_port, timeout=30, what="localstripe")
    return True


def stop(profile: Profile) -> None:
    pid = read_pid(profile.var / "localstripe.pid")
    if pid and pid_alive(pid):
        terminate(pid)
    (profile.var / "localstripe.pid").unlink(missing_ok=True)
