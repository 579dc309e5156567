"""The field app's pushes on the links phones have, in Chromium: batches sized by bytes and
shrunk after a time-out on a slow link, the server's limits read from its rules, a
Retry-After obeyed to the second, and a 503 that followed a commit answered by sending the
same entries again."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from server.extensions import db
from server.models import Activity
from server.models.types import utcnow
from sync.tables import sync_mutations
from tests.e2e.conftest import screenshot
from tests.e2e.pwa import (
    CuttingRelay,
    outbox_count,
    push_body,
    queue_backlog,
    ready,
    record_activity,
    set_link,
    sign_in,
    stored,
    sync_once,
    until,
)

# 32 kbit/s up (CDP throttles the upload inside Chromium, so an abandoned body stops).
SLOW_2G = {"offline": False, "latency": 300, "downloadThroughput": 50_000, "uploadThroughput": 4000}
OUTBOX_EMPTY = "import('/app/js/shared/db.js').then(db => db.count('outbox')).then(n => n === 0)"
# What the server answers during a database outage (tests/sync/test_outage.py).
OUTAGE = {
    "code": "database_unavailable",
    "message": "Máy chủ tạm thời không sẵn sàng, vui lòng thử lại sau",
    "message_en": "The database is unavailable",
}


def _titles(world) -> dict[str, int]:
    with world.app.app_context():
        rows = db.session.execute(select(Activity.title, func.count()).group_by(Activity.title))
        return dict(rows.all())


def _watch_pushes(page) -> tuple[list, list, list]:
    """Every push the page starts, every answer (status, mutation count) and every failure."""
    sent: list = []
    answered: list = []
    failed: list = []
    page.on("request", lambda r: sent.append(push_body(r)) if "/sync/push" in r.url else None)
    page.on(
        "requestfinished",
        lambda r: answered.append(r.response().status) if "/sync/push" in r.url else None,
    )
    page.on("requestfailed", lambda r: failed.append(r.failure) if "/sync/push" in r.url else None)
    return sent, answered, failed


def test_a_backlog_too_slow_for_one_push_arrives_in_smaller_batches_exactly_once(
    world, live_server, phone_page
):
    """The phone last pushed over a good link; today it has 32 kbit/s up, and the server
    cuts a request still unanswered after 12 s (a worker's time-out). Its first push, sized
    for yesterday's link, is abandoned at its own time-out; smaller batches then carry
    everything, each entry applied once. (Sized by count alone, the same 65 KB batch took
    16 s: it was cut, and sent again, for ever.)"""
    relay = CuttingRelay(live_server, cut_after=12)
    page = phone_page
    try:
        ready(page, relay.base)
        sign_in(page, "hoa")
        set_link(page, 1_000_000)
        queue_backlog(page, world.ids["b1"], 24, description_chars=1200)  # ~65 KB gzipped
        sent, answered, failed = _watch_pushes(page)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_2G)
        page.click("#sync")
        until(page, OUTBOX_EMPTY, timeout_ms=120_000)
        cdp.detach()
    finally:
        relay.close()

    assert len(sent[0]["mutations"]) == 24
    assert failed == ["net::ERR_ABORTED"] and relay.cuts == 0  # abandoned by the phone
    assert len(answered) >= 2 and set(answered) == {200}
    assert all(len(body["mutations"]) < 24 for body in sent[1:])
    # What was resent started where the abandoned push did, with the same numbers.
    assert sent[1]["mutations"] == sent[0]["mutations"][: len(sent[1]["mutations"])]
    assert _titles(world) == {f"Mục {i}": 1 for i in range(24)}
    link = page.evaluate("import('/app/js/shared/db.js').then(db => db.getMeta('link'))")
    assert link["bps"] < 8000  # what the phone will size its next pushes by


def test_a_backlog_larger_than_a_request_goes_in_batches_within_the_servers_limit(
    world, live_server, phone_page
):
    """200 entries with long, incompressible descriptions: more than the server's 1 MB per
    request even gzipped. On a fast link the body limit from the server's rules is what
    cuts the batches: none is refused."""
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    set_link(page, 10_000_000)
    queue_backlog(page, world.ids["b1"], 200, description_chars=5000)
    sizes: list[int] = []
    encodings: list[str | None] = []

    def seen(request) -> None:
        if "/sync/push" in request.url:
            sizes.append(len(request.post_data_buffer))
            encodings.append(request.headers.get("content-encoding"))

    page.on("request", seen)
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "/sync/push" in r.url else None)
    page.click("#sync")
    until(page, OUTBOX_EMPTY, timeout_ms=60000)
    assert len(answers) >= 2 and set(answers) == {200}  # no 413
    assert max(sizes) <= 1_048_576 and sum(sizes) > 1_048_576
    assert set(encodings) == {"gzip"}  # every push body was compressed
    assert stored(world) == 200


def test_a_server_stricter_than_the_phones_rules_is_answered_with_smaller_batches(
    world, live_server, phone_page
):
    """The limits come from the server's rules (a 250-entry push is only sent because the
    rules allow 300); a server that allows fewer answers 413 with its limit, and the phone
    takes it."""
    page = phone_page

    def looser(route) -> None:
        response = route.fetch()
        rules = response.json()
        assert rules["protocol"] == {"max_mutations": 200, "max_body_bytes": 1_048_576}
        rules["protocol"] = {"max_mutations": 300, "max_body_bytes": 8 * 1024 * 1024}
        route.fulfill(response=response, json=rules)

    page.context.route("**/app/rules.json", looser)
    ready(page, live_server)
    sign_in(page, "hoa")
    set_link(page, 10_000_000)
    queue_backlog(page, world.ids["b1"], 250)
    sent, answered, _failed = _watch_pushes(page)
    page.click("#sync")
    until(page, OUTBOX_EMPTY, timeout_ms=60000)
    assert [len(body["mutations"]) for body in sent] == [250, 200, 50]
    assert answered == [413, 200, 200]
    assert _titles(world) == {f"Mục {i}": 1 for i in range(250)}


def test_a_short_outage_is_retried_as_soon_as_the_server_says(world, live_server, phone_page):
    """Retry-After: 2 costs the phone 2 s, not its own 15–60 s backoff."""
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    pulls: list[float] = []

    def pull(route) -> None:
        pulls.append(time.time())
        if len(pulls) > 1:
            route.continue_()
            return
        route.fulfill(
            status=503,
            headers={"Retry-After": "2", "Content-Type": "application/json"},
            body=json.dumps(OUTAGE),
        )

    page.context.route("**/api/v1/sync/pull", pull)
    before = int(page.get_attribute("body", "data-syncs") or 0)
    page.click("#sync")
    until(page, "n => Number(document.body.dataset.syncs || 0) > n", arg=before)
    next_try = until(page, "document.body.dataset.nextTry")
    waits = datetime.fromisoformat(next_try.replace("Z", "+00:00")).timestamp() - pulls[0]
    assert 1.9 < waits < 3.5
    # The retry is the page's own timer: no click, no `online` event.
    ended = "n => Number(document.body.dataset.syncs || 0) > n"
    until(page, ended, arg=before + 1, timeout_ms=8000)
    page.wait_for_selector("#status:has-text('Đã đồng bộ')", timeout=5000)
    assert len(pulls) == 2 and 1.9 < pulls[1] - pulls[0] < 4.5


def test_a_push_applied_before_its_503_is_sent_again_unchanged_and_applied_once(
    world, live_server, phone_page
):
    """The server commits the batch and its answer is lost to an outage (503 after the
    commit): the phone says the entries may be on the server, and sends the same entries,
    same numbers, same values, which the server answers from its log."""
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    titles = ["Một", "Hai", "Ba"]
    for title in titles:
        record_activity(page, title, place="Nà Mạ")
    bodies: list[dict] = []
    applied: list[int] = []
    outage = [True]

    def push(route) -> None:
        # Whoever pushes (the page on `online`, the worker on its background sync).
        bodies.append(push_body(route.request))
        if not outage[0]:
            route.continue_()
            return
        applied.append(route.fetch().status)  # the server applies the batch and commits…
        route.fulfill(  # …and the phone hears of an outage instead
            status=503,
            headers={"Retry-After": "600", "Content-Type": "application/json"},
            body=json.dumps(OUTAGE),
        )

    page.context.route("**/api/v1/sync/push", push)
    page.context.set_offline(False)
    unconfirmed = "#status:has-text('Máy chủ chưa xác nhận, sẽ gửi lại lúc')"
    page.wait_for_selector(unconfirmed, timeout=20000)
    assert applied[0] == 200 and _titles(world) == {t: 1 for t in titles}
    assert outbox_count(page) == 3  # kept until the server answers them
    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#last-error")
    said = page.inner_text("#last-error")
    assert "có thể đã được ghi" in said and "không ghi mục nào hai lần" in said
    screenshot(page, "pwa-sync-centre-unconfirmed")

    outage[0] = False
    sync_once(page)  # the person does not wait the ten minutes
    assert outbox_count(page) == 0
    assert len(bodies) >= 2 and all(b["mutations"] == bodies[0]["mutations"] for b in bodies)
    assert [m["n"] for m in bodies[0]["mutations"]] == [1, 2, 3]
    assert _titles(world) == {t: 1 for t in titles}


def test_a_retry_answered_already_applied_empties_the_outbox(world, live_server, phone_page):
    """A push applied, its answer lost, and the retry comes after the server pruned its
    log (``SYNC_MUTATION_LOG_DAYS``): the answer is ``{"n", "status": "already_applied"}``
    with no ``id`` (PROTOCOL §3). The phone drops the entry, keeps its record, and syncs
    on; it used to stop syncing for good (reading its store with no id)."""
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    record_activity(page, "Trồng cây", place="Nà Mạ")
    answers: list[dict] = []
    lose = [True]

    def push(route) -> None:
        response = route.fetch()  # the server applies the batch and commits…
        if lose[0]:
            route.fulfill(  # …and the answer is lost
                status=503,
                headers={"Retry-After": "600", "Content-Type": "application/json"},
                body=json.dumps(OUTAGE),
            )
            return
        answers.append(response.json())
        route.fulfill(response=response)

    page.context.route("**/api/v1/sync/push", push)
    page.context.set_offline(False)
    page.wait_for_selector("#status:has-text('Máy chủ chưa xác nhận')", timeout=20000)
    assert outbox_count(page) == 1 and _titles(world) == {"Trồng cây": 1}

    with world.app.app_context():  # 91 days later, the daily maintenance has run
        db.session.execute(update(sync_mutations).values(received_at=utcnow() - timedelta(days=91)))
        db.session.commit()
    assert world.app.test_cli_runner().invoke(args=["prune-sync-log"]).exit_code == 0

    lose[0] = False
    sync_once(page)
    assert answers and answers[0]["results"] == [{"n": 1, "status": "already_applied"}]
    assert outbox_count(page) == 0
    page.wait_for_selector("#status:has-text('Đã đồng bộ')", timeout=5000)
    on_phone = page.evaluate(
        "import('/app/js/shared/db.js').then(db => db.all('records'))"
        ".then(rs => rs.map(r => [r.title, r.version, !!r._pending, !!r._rejected]))"
    )
    assert on_phone == [["Trồng cây", 1, False, False]]  # nothing shown as waiting
    assert _titles(world) == {"Trồng cây": 1}
