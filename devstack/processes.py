"""The command lines of Pledgeboard's processes, built from their one definition (processes.toml).

Each function returns an argv. With ``python`` (an interpreter's path) the tools run as its
modules (``python -m celery``), as devstack, bench and the tests start them; without it they run
as the image's entry points (``celery``), as docker-compose.yml writes them.

    python -m devstack.processes     # prints each process's production command line
"""

import shlex
import tomllib
from dataclasses import dataclass
from functools import cache

from .profiles import ROOT

DEFINITION = ROOT / "processes.toml"
LOGLEVEL = "INFO"


@dataclass(frozen=True)
class Worker:
    name: str
    about: str
    queues: tuple[str, ...]
    pool: str
    concurrency: int
    prefetch: int


@cache
def definition() -> dict:
    return tomllib.loads(DEFINITION.read_text())


def workers() -> dict[str, Worker]:
    """The production workers by name, in the definition's order."""
    return {
        name: Worker(
            name=name,
            about=spec["about"],
            queues=tuple(spec["queues"]),
            pool=spec["pool"],
            concurrency=spec["concurrency"],
            prefetch=spec["prefetch"],
        )
        for name, spec in definition()["workers"].items()
    }


def _tool(name: str, python: str | None) -> list[str]:
    return [python, "-m", name] if python else [name]


def web_command(*, python: str | None = None, bind: str | None = None) -> list[str]:
    """gunicorn with config/gunicorn.py; ``bind`` overrides WEB_BIND (default 0.0.0.0:8000)."""
    web = definition()["web"]
    command = [*_tool("gunicorn", python), web["app"], "-c", web["config"]]
    return [*command, "--bind", bind] if bind else command


def release_command(*, python: str | None = None) -> list[str]:
    return [python or "python", *definition()["release"]["command"]]


def celery_worker_command(
    *,
    queues: tuple[str, ...] | list[str],
    hostname: str,
    pool: str | None = None,
    concurrency: int | None = None,
    prefetch: int | None = None,
    python: str | None = None,
    loglevel: str = LOGLEVEL,
    extra: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """Any `celery worker`: the production ones (``worker_command``) and the tests' own."""
    command = [*_tool("celery", python), "-A", "config", "worker", "-Q", ",".join(queues)]
    if pool:
        command += ["--pool", pool]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    if prefetch:
        command += ["--prefetch-multiplier", str(prefetch)]
    return [*command, "--hostname", hostname, "--loglevel", loglevel, *extra]


def worker_command(
    worker: Worker | str,
    *,
    python: str | None = None,
    hostname: str | None = None,
    concurrency: int | None = None,
    loglevel: str = LOGLEVEL,
    extra: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """A production worker as defined; ``concurrency`` and ``hostname`` may differ (bench splits
    the threads over one process per core; tests need a name of their own to ping)."""
    worker = workers()[worker] if isinstance(worker, str) else worker
    return celery_worker_command(
        queues=worker.queues,
        pool=worker.pool,
        concurrency=concurrency or worker.concurrency,
        prefetch=worker.prefetch,
        hostname=hostname or f"{worker.name}@%h",
        python=python,
        loglevel=loglevel,
        extra=extra,
    )


def beat_command(*, schedule: str, python: str | None = None, loglevel: str = LOGLEVEL) -> list[str]:
    """Celery beat; ``schedule`` is where it remembers the last run of each entry (a writable file)."""
    return [*_tool("celery", python), "-A", "config", "beat", "--loglevel", loglevel, "--schedule", schedule]


def production() -> dict[str, list[str]]:
    """Every process as production starts it (the image's entry points), by name."""
    commands = {"release": release_command(), "web": web_command()}
    commands |= {f"worker {name}": worker_command(worker) for name, worker in workers().items()}
    commands["beat"] = beat_command(schedule="/tmp/celerybeat-schedule")  # noqa: S108 (the container's own /tmp)
    return commands


def about() -> dict[str, str]:
    spec = definition()
    return {
        "release": spec["release"]["about"],
        "web": spec["web"]["about"],
        **{f"worker {name}": worker.about for name, worker in workers().items()},
        "beat": spec["beat"]["about"],
    }


def markdown_table() -> str:
    """The process table of the documentation (docs/hooks.py puts it into docs/operations.md)."""
    lines = ["| process | what it runs | command (production) |", "|---|---|---|"]
    descriptions = about()
    for name, command in production().items():
        lines.append(f"| {name} | {descriptions[name]} | `{shlex.join(command)}` |")
    return "\n".join(lines)


if __name__ == "__main__":
    for name, command in production().items():
        print(f"{name}: {shlex.join(command)}")
