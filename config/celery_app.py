import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from core import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pledgeboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Database connections in workers, as in web requests: given back to the process's pool after
# each task (or, with the pool off, kept for DATABASE_CONN_MAX_AGE and dropped when broken).
# Celery's Django fix-up would otherwise close them before and after every task
# (CELERY_DB_REUSE_MAX in the settings turns that off), and a new PostgreSQL connection per
# charge costs more than the charge's own queries.
@task_prerun.connect
@task_postrun.connect
def _close_old_connections(**kwargs) -> None:
    from django.db import close_old_connections

    close_old_connections()


# A task enqueued during a request logs under that request's id (core/request_id.py).
before_task_publish.connect(request_id.add_to_task_headers, weak=False)
task_prerun.connect(request_id.bind_for_task, weak=False)
task_postrun.connect(request_id.unbind_after_task, weak=False)
