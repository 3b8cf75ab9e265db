"""A local S3 endpoint: moto's server (S3 only) on 127.0.0.1, with the bucket made at start.

boto3 (and so django-storages) talks to it over HTTP exactly as to S3: signed requests,
multipart uploads, listings, deletes. moto keeps objects in memory; with ``--data-dir``
(the demo profile) they are written there when the server stops and put back when it
starts again, so a restarted ``make demo`` keeps its campaign pictures. The test profile
starts empty every time.
"""

import argparse
import logging
import signal
import threading
from pathlib import Path

from moto.server import ThreadedMotoServer

from .s3 import client


def restore(s3, bucket: str, data: Path) -> int:
    """Upload every file kept under ``data`` (its path is the key)."""
    count = 0
    for path in sorted(data.rglob("*")):
        if path.is_file() and not path.name.endswith(".tmp"):
            s3.upload_file(str(path), bucket, path.relative_to(data).as_posix())
            count += 1
    return count


def snapshot(s3, bucket: str, data: Path) -> int:
    """Write every object of the bucket under ``data`` and remove the files of objects gone."""
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key = item["Key"]
            if ".." in Path(key).parts or key.startswith("/"):
                continue
            keys.add(key)
            target = data / key
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".tmp")
            s3.download_file(bucket, key, str(partial))
            partial.replace(target)
    for path in data.rglob("*"):
        if path.is_file() and path.relative_to(data).as_posix() not in keys:
            path.unlink()
    return len(keys)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--data-dir", type=Path, help="keep the objects here between runs")
    parser.add_argument("--ready-file", type=Path, help="written once the bucket is made and restored")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    endpoint = f"http://{args.host}:{args.port}"
    s3 = client(endpoint)
    s3.create_bucket(Bucket=args.bucket)
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        print(f"s3: {restore(s3, args.bucket, args.data_dir)} objects restored", flush=True)
    print(f"s3: serving bucket {args.bucket} at {endpoint}", flush=True)
    if args.ready_file:
        args.ready_file.write_text(endpoint)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    if args.data_dir:
        print(f"s3: {snapshot(s3, args.bucket, args.data_dir)} objects kept", flush=True)
    server.stop()


if __name__ == "__main__":
    main()
