"""Runs localstripe on 127.0.0.1 without its pickle-on-every-write store.

localstripe pickles its whole store to ``/tmp/localstripe.pickle`` after every
POST: slow (about 22 charges/s, worse as the store grows) and two instances on one
machine overwrite each other's file. Both profiles start from scratch instead.
"""

import argparse
import logging

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()

    resources.Store.dump_to_disk = lambda self: None
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(server.app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
