"""gunicorn settings for production and `make demo`: threaded workers sized from the cores.

    gunicorn config.wsgi -c config/gunicorn.py

One process per core and one more (Python runs one thread at a time per process), each
with WEB_THREADS threads: a request waiting on the payment provider (about 300 ms a call,
two calls for a new backer's pledge) or the database holds a thread, not a core, so a burst of
pledges keeps many provider calls in flight. Database connections come from each process's
pool (DATABASE_POOL_MAX_SIZE, config/settings.py): workers x DATABASE_POOL_MAX_SIZE, plus the
Celery processes' pools, must stay under PostgreSQL's max_connections, whatever WEB_THREADS is.
"""

import glob
import os
import tempfile

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS") or (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("WEB_THREADS") or 24)
# Connections beyond the threads wait in the kernel's queue, not in a worker.
backlog = 2048
keepalive = 5
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = 20
accesslog = os.environ.get("WEB_ACCESS_LOG") or None  # "-" for stdout
errorlog = "-"


# Prometheus: the metrics of all this node's processes add up (prometheus_client's multiprocess
# mode, core/metrics.py). A directory of this node's own, empty at start; set before the workers
# import anything, so they all write their values there.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pledgeboard-metrics-")


def on_starting(server):
    for stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
