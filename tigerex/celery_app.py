"""The Celery app, configured from Settings.

No broker URL (the default): tasks run eagerly, in-process, so a local ``tigerex up`` needs no
broker. With ``TIGEREX_BROKER_URL=redis://...``: a real broker and workers
(``celery -A tigerex.celery_app worker``). Tasks are acknowledged late and re-queued if a worker
dies, so an acknowledged job is never lost; every task must therefore be idempotent.
"""

from __future__ import annotations

from celery import Celery

from tigerex.settings import Settings, get_settings

TASK_MODULES = ["tigerex.tasks"]


def create_celery(settings: Settings) -> Celery:
    app = Celery("tigerex", include=TASK_MODULES)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
    )
    if settings.broker_url:
        app.conf.broker_url = settings.broker_url
        app.conf.result_backend = settings.result_backend or settings.broker_url
    else:
        app.conf.update(
            task_always_eager=True,
            task_eager_propagates=True,
            broker_url="memory://",
            result_backend="cache+memory://",
        )
    return app


app = create_celery(get_settings())
