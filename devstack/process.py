"""Small process helpers shared by the service launchers."""

import os
import signal
import socket
import time
from pathlib import Path


def pid_alive(pid: int) -> bool:
    if pid <= 0:  # no pid file (kill(0) would signal our own process group and answer yes)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is not serving anything.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A port nothing listens on now (the OS picks it, then it is released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_port_free(port: int, *, what: str, variable: str) -> None:
    if port_open(port):
        raise RuntimeError(
            f"127.0.0.1:{port} is taken by a process devstack did not start (another checkout's {what}?). "
            f"Stop it, or point {variable} at a server to use instead."
        )


def wait_for_port(port: int, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not open 127.0.0.1:{port} within {timeout:.0f}s")


def terminate(pid: int, *, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if the process outlives the timeout."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
