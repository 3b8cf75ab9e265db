"""Each task goes to its queue (that every queue has a consumer: tests/skeleton/test_processes.py)."""

from config.celery_app import app

QUEUES = {"default", "collection", "fees", "mail", "exports"}

EXPECTED_QUEUE = {
    "accounts.tasks.forget_expired_tokens": "default",
    "accounts.tasks.forget_stale_signups": "default",
    "closing.tasks.close_due_campaigns": "default",
    "closing.tasks.collection_sweep": "default",
    "closing.tasks.collect_campaign": "collection",
    "closing.tasks.collect_pledge": "collection",
    "payouts.tasks.record_charge_fee": "fees",
    "payouts.tasks.pay_campaign": "default",
    "payouts.tasks.payout_sweep": "default",
    "pledges.tasks.expire_pending_pledges": "default",
    "pledges.tasks.forget_lapsed_cards": "default",
    "pledges.tasks.forget_idempotency_keys": "default",
    "notifications.tasks.send_notifications": "mail",
    "notifications.tasks.fan_out_campaign_notification": "mail",
    "notifications.tasks.ending_soon_sweep": "mail",
    "notifications.tasks.creator_digest": "mail",
    "notifications.tasks.mail_sweep": "mail",
    "community.tasks.comment_digest": "mail",
    "community.tasks.community_mail_sweep": "mail",
    "community.tasks.fan_out_launch": "mail",
    "community.tasks.send_community_mail": "mail",
    "updates.tasks.fan_out_update": "mail",
    "updates.tasks.send_update": "mail",
    "updates.tasks.update_mail_sweep": "mail",
    "fulfilment.tasks.fan_out_survey": "mail",
    "fulfilment.tasks.send_fulfilment_mail": "mail",
    "fulfilment.tasks.survey_reminder_sweep": "mail",
    "fulfilment.tasks.fulfilment_mail_sweep": "mail",
    "reports.tasks.build_export": "exports",
    "reports.tasks.export_sweep": "default",
    "reports.tasks.forget_old_exports": "default",
}


def test_every_task_is_routed_to_its_queue():
    app.loader.import_default_modules()
    # Tasks a test module defines for itself (tests.…) are not the project's.
    ours = sorted(name for name in app.tasks if not name.startswith(("celery.", "tests.")))

    assert ours == sorted(EXPECTED_QUEUE)  # a new task gets a queue on purpose, here
    assert {name: app.amqp.router.route({}, name)["queue"].name for name in ours} == EXPECTED_QUEUE
    assert app.conf.task_default_queue == "default"
    assert set(app.amqp.queues) == QUEUES


def test_beat_sends_nothing_to_the_collection_queue():
    beat_tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert {EXPECTED_QUEUE[task] for task in beat_tasks} == {"default", "mail"}
