"""Prometheus metrics at ``/metrics``, behind a bearer token.

Counters and histograms live in this process (or, under gunicorn, in
``PROMETHEUS_MULTIPROC_DIR``, which every worker writes and the scrape adds up: set it in
``deploy/gunicorn.conf.py``). What the database knows — devices waiting to sync, how old
the oldest waiting entry is — is read when Prometheus scrapes, so it is right whichever
worker answers and however many there are.

Labels stay bounded: the endpoint's name, never its path (ids would make a series each).
Pushes are also counted per device: a phone stuck retrying shows as one series climbing
(``topk(5, rate(sodoan_sync_pushes_by_device_total[5m]))``); a province has thousands of
devices, which Prometheus holds easily.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from ..extensions import db

REQUESTS = Counter(
    "sodoan_http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "sodoan_http_request_duration_seconds",
    "Time to answer a request, by endpoint",
    ["method", "endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
MUTATIONS = Counter(
    "sodoan_sync_mutations_total",
    "Mutation answers given by pushes, by collection and status (applied, merged, "
    "conflict, rejected, already_applied); a retried number's answer, given again from "
    "the log, counts again",
    ["collection", "status"],
)
PUSHES = Counter("sodoan_sync_pushes_total", "Pushes answered 200")
PUSHES_BY_DEVICE = Counter(
    "sodoan_sync_pushes_by_device_total", "Pushes answered 200, per device", ["device"]
)
PULL_PAGES = Counter(
    "sodoan_sync_pull_pages_total", "Pull pages served (full: a first download)", ["kind"]
)
PULL_CHANGES = Counter("sodoan_sync_pull_changes_total", "Changes sent in pull pages")
RESYNCS = Counter(
    "sodoan_sync_resync_required_total", "Pulls answered 409 resync_required", ["reason"]
)
UNAVAILABLE = Counter(
    "sodoan_database_unavailable_total", "Requests answered 503 database_unavailable"
)


def pushed(device_id: Any, results: Iterable[dict[str, Any]], collections: dict[int, str]) -> None:
    """Count one answered push. ``collections`` maps a mutation number to its collection."""
    PUSHES.inc()
    PUSHES_BY_DEVICE.labels(str(device_id)).inc()
    for r in results:
        MUTATIONS.labels(collections.get(r.get("n"), "?"), r.get("status", "?")).inc()


def pulled(full: bool, changes: int) -> None:
    PULL_PAGES.labels("full" if full else "incremental").inc()
    PULL_CHANGES.inc(changes)


def resync(reason: str) -> None:
    RESYNCS.labels(reason).inc()


def unavailable() -> None:
    UNAVAILABLE.inc()


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from ..models import Device

        waiting = Device.pending_count > 0
        live = Device.revoked_at.is_(None)
        count, entries, oldest = db.session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Device.pending_count), 0),
                func.min(Device.pending_since),
            ).where(waiting, live)
        ).one()
        db.session.rollback()
        yield GaugeMetricFamily(
            "sodoan_outbox_devices_waiting",
            "Devices whose last pull said entries were waiting to be sent",
            value=count,
        )
        yield GaugeMetricFamily(
            "sodoan_outbox_entries_waiting",
            "Entries waiting on devices, as their last pulls said",
            value=int(entries),
        )
        age = GaugeMetricFamily(
            "sodoan_outbox_oldest_entry_age_seconds",
            "Age of the oldest entry waiting on any device (by its phone's clock; 0: none)",
        )
        if oldest is not None and oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        age.add_metric([], max(0.0, time.time() - oldest.timestamp()) if oldest else 0.0)
        yield age


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def register(app: Flask) -> None:
    @app.before_request
    def _clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None and request.endpoint != "metrics":
            endpoint = request.endpoint or "unmatched"
            REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
            LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
            if response.status_code == 503:
                unavailable()
        return response

    @app.get("/metrics", endpoint="metrics")
    def _metrics() -> Response:
        # Unconfigured or wrong token: as if there were no such page.
        if not _authorised():
            abort(404)
        database = CollectorRegistry()
        database.register(DatabaseCollector())
        body = generate_latest(_registry()) + generate_latest(database)
        return Response(body, content_type=CONTENT_TYPE_LATEST)
