"""Where each profile keeps its services: ports and data directories never shared."""

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Profile:
    name: str
    postgres_port: int
    valkey_port: int
    localstripe_port: int
    s3_port: int
    durable: bool  # fsync and append-only file on; off for throwaway test data

    @property
    def var(self) -> Path:
        return ROOT / "var" / self.name

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.postgres_port}/pledgeboard"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.valkey_port}/0"

    @property
    def stripe_api_base(self) -> str:
        return f"http://127.0.0.1:{self.localstripe_port}"

    @property
    def s3_endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def s3_bucket(self) -> str:
        return f"pledgeboard-{self.name}"


# Two checkouts on one machine (say, git worktrees) each run their own test services
# when one of them sets DEVSTACK_PORT_OFFSET; the ports of the demo never move.
_OFFSET = int(os.environ.get("DEVSTACK_PORT_OFFSET", "0"))

PROFILES = {
    "demo": Profile("demo", postgres_port=55432, valkey_port=56379, localstripe_port=8420, s3_port=59000, durable=True),
    "test": Profile(
        "test",
        postgres_port=55433 + _OFFSET,
        valkey_port=56380 + _OFFSET,
        localstripe_port=8421 + _OFFSET,
        s3_port=59001 + _OFFSET,
        durable=False,
    ),
}
