"""The field app against every answer of the protocol, in Chromium: a returned entry with
the reviewer's comment, a conflict between two phones, a refused entry fixed and resent, a
revoked device, two tabs, a forced resync, and markup typed as text."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

from sqlalchemy import delete, select, update

from server.extensions import db
from server.models import Activity, Device
from sync.tables import sync_state
from tests import factories as f
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.pwa import (
    device_id,
    open_activity,
    outbox_count,
    ready,
    record_activity,
    retire_type,
    sign_in,
    status,
    stored,
    sync_once,
    synced,
    until,
)
from tests.world import signed_in


def _activity(world, title: str) -> Activity:
    with world.app.app_context():
        return db.session.scalars(select(Activity).where(Activity.title == title)).one()


def test_a_returned_entry_shows_the_reviewers_comment_and_is_resubmitted(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Sửa đường liên xóm", place="Nà Mạ", members_count="9")
    synced(page)
    activity = _activity(world, "Sửa đường liên xóm")

    staff = signed_in(world.app, "canbo")
    resp = staff.post(
        f"/review/{activity.id}/return",
        data={"return-comment": "Đề nghị bổ sung <i>số người dân</i> được phục vụ"},
    )
    assert resp.status_code == 302
    assert _activity(world, "Sửa đường liên xóm").status == "returned"

    sync_once(page)
    assert "Bị trả lại" in page.inner_text("#records")
    open_activity(page, "Sửa đường liên xóm")
    comment = page.inner_text("#review-comment")
    assert "Đề nghị bổ sung <i>số người dân</i> được phục vụ" in comment
    assert page.locator("#review-comment i").count() == 0
    screenshot(page, "pwa-detail-returned")

    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-citizens_served", "45")
    page.click("#save")
    page.wait_for_selector("#records")
    synced(page)
    with world.app.app_context():
        a = db.session.get(Activity, activity.id)
        assert (a.status, a.citizens_served, a.place) == ("submitted", 45, "Nà Mạ")


def test_the_same_activity_edited_on_two_phones_is_resolved_in_the_sync_centre(
    world, live_server, browser
):
    one = browser.new_context(**PHONE, service_workers="allow").new_page()
    two = browser.new_context(**PHONE, service_workers="allow").new_page()
    try:
        ready(one, live_server)
        sign_in(one, "hoa")
        record_activity(one, "Trồng cây", place="Đầu xóm")
        synced(one)
        ready(two, live_server)
        sign_in(two, "lan")
        assert "Trồng cây" in two.inner_text("#records")

        for page, place in ((one, "Sân trường"), (two, "Nhà văn hoá")):
            page.context.set_offline(True)
            open_activity(page, "Trồng cây")
            page.click("#edit")
            page.fill("#f-place", place)
            page.click("#save")
            page.wait_for_selector("#records")
        one.context.set_offline(False)
        synced(one)
        two.context.set_offline(False)
        two.wait_for_selector("#status:has-text('1 xung đột')", timeout=20000)

        two.click("nav a[href='#/sync']")
        two.wait_for_selector("#conflicts")
        conflict = two.inner_text("#conflicts")
        assert "Địa điểm" in conflict and "Sân trường" in conflict and "Nhà văn hoá" in conflict
        assert two.inner_text("#conflicts .server-value") == "Sân trường"
        assert two.inner_text("#conflicts .client-value") == "Nhà văn hoá"
        screenshot(two, "pwa-sync-centre-conflict")
        # Hoa's value won: the conflict is Lan's to decide, and Hoa's phone says whose.
        sync_once(one)
        assert "xung đột" not in status(one)
        one.click("nav a[href='#/sync']")
        one.wait_for_selector("#conflicts")
        assert "Của Hoàng Thị Lan" in one.inner_text("#conflicts")
        assert "Của tôi" not in one.inner_text("#conflicts")
        # Hoa's is the value kept: the choice is Lan's, and Hoa's phone offers no buttons
        # to overturn her own value (issue 15 item 11).
        assert one.locator("#conflicts button").count() == 0
        assert "Giá trị của bạn đang được giữ" in one.inner_text("#conflicts")
        screenshot(one, "pwa-sync-centre-conflict-won")
        two.click("#conflicts .keep-mine")
        until(two, "!document.querySelector('#conflicts')")
        assert _activity(world, "Trồng cây").place == "Nhà văn hoá"
        sync_once(one)
        open_activity(one, "Trồng cây")
        assert "Nhà văn hoá" in one.inner_text("dl.facts")
    finally:
        one.context.close()
        two.context.close()


def test_an_edit_of_an_activity_deleted_elsewhere_is_shown_by_its_title_and_restored(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Sửa đường làng")
    synced(page)
    page.context.set_offline(True)
    open_activity(page, "Sửa đường làng")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-place", "Xóm Nà Mạ")
    page.click("#save")
    page.wait_for_selector("#records")
    a = _activity(world, "Sửa đường làng")
    lan = world.phone("lan")  # deletes it meanwhile, having seen it
    lan.push(lan.mutation("delete", a.id, base_version=a.version))
    page.context.set_offline(False)
    page.wait_for_selector("#status:has-text('1 xung đột')", timeout=20000)
    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#conflicts")
    shown = page.inner_text("#conflicts")
    assert "Sửa đường làng" in shown and str(a.id) not in shown
    assert "Hoạt động đã bị xoá trên máy chủ trong khi bạn sửa" in shown
    page.click("#conflicts .keep-mine")
    until(page, "!document.querySelector('#conflicts')")
    restored = _activity(world, "Sửa đường làng")
    assert restored.deleted_at is None and restored.place == "Xóm Nà Mạ"


def test_a_refused_entry_shows_the_reason_and_is_fixed_and_accepted(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    record_activity(page, "Câu lạc bộ", type="clb_can_bo_tre")
    # Edited again before it is sent: the second entry is refused only because the first
    # was, and the person must still see the first one's reason.
    open_activity(page, "Câu lạc bộ")
    page.click("#edit")
    page.wait_for_selector("#activity-form")
    page.fill("#f-place", "Nhà văn hoá xóm")
    page.click("#save")
    page.wait_for_selector("#records")
    assert outbox_count(page) == 2
    retire_type(world, "clb_can_bo_tre")  # the province, meanwhile
    page.context.set_offline(False)
    page.wait_for_selector("#status:has-text('1 mục bị từ chối')", timeout=20000)
    assert stored(world) == 0

    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#rejected")
    text = page.inner_text("#rejected")
    assert "Dữ liệu chưa hợp lệ" in text and "Loại hoạt động đã ngừng sử dụng" in text
    screenshot(page, "pwa-sync-centre-rejected")
    page.click("#rejected a.button")
    page.wait_for_selector("#activity-form")
    assert "Loại hoạt động đã ngừng sử dụng" in page.inner_text("#err-type")
    page.select_option("#f-type", "thi_dua")
    page.click("#save")
    page.wait_for_selector("#records")
    synced(page)
    assert "bị từ chối" not in status(page)
    with world.app.app_context():
        kept = db.session.scalars(select(Activity)).all()
        assert [(a.title, a.type.code, a.place) for a in kept] == [
            ("Câu lạc bộ", "thi_dua", "Nhà văn hoá xóm")
        ]


def test_entries_waiting_on_a_revoked_device_survive_and_are_sent_after_signing_in_again(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    device = device_id(page)
    page.context.set_offline(True)
    record_activity(page, "Một")
    record_activity(page, "Hai")
    other = world.phone("hoa")
    assert other.post(f"/api/v1/devices/{device}/revoke", {}).status_code == 200

    page.context.set_offline(False)
    # The app stays open (issue 15 item 7); signing in again is offered, to send.
    page.wait_for_selector("#signin-needed", timeout=20000)
    assert outbox_count(page) == 2
    assert "sẽ thử lại" not in status(page)  # nothing will be retried until the person signs in
    page.click("#signin-needed button")
    page.wait_for_selector("#revoked")
    assert "2 mục chưa gửi" in page.inner_text("#revoked")
    screenshot(page, "pwa-revoked")
    page.reload()
    page.wait_for_selector("#revoked")
    sign_in(page, "hoa")
    assert outbox_count(page) == 0
    assert stored(world) == 2
    assert device_id(page) == device  # the same device, so its numbering carried on


def test_another_person_cannot_sign_in_over_refused_entries_still_to_fix(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    device = device_id(page)
    page.context.set_offline(True)
    record_activity(page, "Câu lạc bộ", type="clb_can_bo_tre")
    retire_type(world, "clb_can_bo_tre")  # the province, meanwhile
    page.context.set_offline(False)
    page.wait_for_selector("#status:has-text('1 mục bị từ chối')", timeout=20000)
    assert world.phone("hoa").post(f"/api/v1/devices/{device}/revoke", {}).status_code == 200
    page.click("#sync")
    page.click("#signin-needed button")
    page.wait_for_selector("#sign-in")

    page.fill("#f-username", "lan")
    page.fill("#f-password", f.PASSWORD)
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#sign-in p.error:has-text('Nông Thị Hoa')")
    assert "1 mục bị từ chối" in page.inner_text("#sign-in")
    refused = (
        "import('/app/js/shared/db.js').then(db => db.all('records'))"
        ".then(rs => rs.filter(r => r._rejected).map(r => r.title))"
    )
    assert page.evaluate(refused) == ["Câu lạc bộ"]

    sign_in(page, "hoa")
    page.wait_for_selector("#status:has-text('1 mục bị từ chối')")
    assert page.evaluate(refused) == ["Câu lạc bộ"]


def test_an_outage_is_retried_no_sooner_than_the_server_asks(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    outage = {
        "code": "database_unavailable",
        "message": "Máy chủ tạm thời không truy cập được cơ sở dữ liệu",
        "message_en": "The database is unavailable",
    }
    # The answer the server gives during a database outage (tests/sync/test_outage.py),
    # here for every pull, so the page's own timer is what is watched.
    page.context.route(
        "**/api/v1/sync/pull",
        lambda route: route.fulfill(
            status=503,
            headers={"Retry-After": "600", "Content-Type": "application/json"},
            body=json.dumps(outage),
        ),
    )
    before = int(page.get_attribute("body", "data-syncs") or 0)
    asked_at = time.time()
    page.click("#sync")
    until(page, "n => Number(document.body.dataset.syncs || 0) > n", arg=before)
    next_try = until(page, "document.body.dataset.nextTry")
    waits = datetime.fromisoformat(next_try.replace("Z", "+00:00")).timestamp() - asked_at
    assert 590 < waits < 700  # the plain backoff would have tried again within 23 s
    page.wait_for_selector("#status:has-text('sẽ thử lại lúc')")


def test_a_store_that_reuses_numbers_renumbers_and_sends_once(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Đã gửi")
    synced(page)
    # The phone's store comes back from an older copy: its counter hands out numbers the
    # server already applied, with other payloads (409 mutation_mismatch, `expected`).
    page.evaluate("import('/app/js/shared/db.js').then(db => db.setMeta({next_n: 1}))")
    page.context.set_offline(True)
    record_activity(page, "Sau khi khôi phục")
    assert page.evaluate(
        "import('/app/js/shared/db.js').then(db => db.outbox()).then(o => o.map(m => m.n))"
    ) == [1]
    page.context.set_offline(False)
    synced(page)
    assert outbox_count(page) == 0
    assert stored(world, title="Sau khi khôi phục") == 1
    assert stored(world, title="Đã gửi") == 1


def test_failed_syncs_back_off(world, live_server, phone_page):
    """15 s, 30 s, 60 s…, each with ±50 % jitter, while the server cannot be reached."""
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    waits = []
    for _ in range(3):
        before = int(page.get_attribute("body", "data-syncs") or 0)
        asked_at = time.time()
        page.click("#sync")
        until(page, "n => Number(document.body.dataset.syncs || 0) > n", arg=before)
        next_try = page.get_attribute("body", "data-next-try")
        waits.append(datetime.fromisoformat(next_try.replace("Z", "+00:00")).timestamp() - asked_at)
    assert 7 < waits[0] < 23 and 14 < waits[1] < 46 and 29 < waits[2] < 91
    page.wait_for_selector("#status:has-text('sẽ thử lại lúc')")


def test_two_tabs_never_push_the_same_entry_twice(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    second = page.context.new_page()
    second.goto(live_server + "/app/")
    second.wait_for_selector("#records")
    sent = []  # every push answer, from either tab (the context sees both)
    page.context.on("response", lambda r: sent.append(r) if "/sync/push" in r.url else None)
    page.context.set_offline(True)
    for title in ("Tab một", "Tab hai", "Tab ba"):
        record_activity(page, title)
    page.context.set_offline(False)
    page.click("#sync")
    second.click("#sync")
    synced(page)
    synced(second)
    until(second, "import('/app/js/shared/db.js').then(db => db.count('outbox')).then(n => !n)")
    assert stored(world) == 3
    numbers = []
    for response in sent:
        if response.ok:
            numbers += [r["n"] for r in response.json()["results"]]
    assert sorted(numbers) == sorted(set(numbers)) and len(numbers) == 3
    second.close()


def test_resync_required_rebuilds_the_store_and_still_sends_waiting_entries(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Có trên máy chủ cũ")
    synced(page)
    page.context.set_offline(True)
    record_activity(page, "Chờ gửi")
    record_activity(page, "Bị từ chối", type="clb_can_bo_tre")
    with world.app.app_context():  # the server's database is restored from another copy
        db.session.execute(delete(Activity).where(Activity.title == "Có trên máy chủ cũ"))
        db.session.execute(update(sync_state).values(epoch=str(uuid.uuid4())))
        db.session.commit()
    retire_type(world, "clb_can_bo_tre")  # in the restored copy: the second entry is refused
    page.context.set_offline(False)
    page.wait_for_selector("#status:has-text('1 mục bị từ chối')", timeout=20000)
    # The rebuild kept what the person still has to fix, and dropped the rest.
    titles = page.locator("#records strong").all_inner_texts()
    assert sorted(titles) == ["Bị từ chối", "Chờ gửi"]
    assert outbox_count(page) == 0
    assert stored(world, title="Chờ gửi") == 1
    cursor = page.evaluate("import('/app/js/shared/db.js').then(db => db.getMeta('cursor'))")
    with world.app.app_context():
        epoch = db.session.scalar(select(sync_state.c.epoch))
    assert cursor.split(".")[1] == epoch.replace("-", "")[:8]


def test_markup_typed_by_a_member_stays_text_on_every_screen(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    title = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    record_activity(page, title, place="<b>Nà Mạ</b>", description="<script>alert(1)</script>")
    assert page.locator("#records strong", has_text="<script>").count() == 1
    open_activity(page, "<script>")
    assert page.inner_text("#detail-title") == title
    page.click("nav a[href='#/sync']")
    page.wait_for_selector("#waiting")
    assert title in page.inner_text("#waiting")
    page.context.set_offline(False)
    synced(page)
    assert page.evaluate("window.pwned") is None
    assert page.locator("main img, main b, main script").count() == 0
    assert stored(world, title=title) == 1


def test_the_service_worker_sends_waiting_entries_on_a_background_sync(
    world, live_server, phone_page
):
    page = phone_page
    ready(page, live_server)
    cdp = page.context.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(r["registrationId"] for r in e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    sign_in(page, "hoa")
    # Every push that got an answer, and who sent it. Watched from before the outage: a push
    # started during it (the browser fires a registered sync by itself while "online") may be
    # let through when the route is lifted, before the sync event below is dispatched.
    pushes: list[bool] = []
    page.context.on(
        "requestfinished",
        lambda r: pushes.append(r.service_worker is not None) if "/sync/push" in r.url else None,
    )
    # The server is out of reach while the page stays open and "online" (no `online` event).
    page.context.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    record_activity(page, "Gửi nền")
    assert outbox_count(page) == 1
    assert pushes == []
    page.context.unroute("**/api/v1/**")
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server,
            "registrationId": registrations[0],
            "tag": "sodoan-sync",
            "lastChance": False,
        },
    )
    until(page, "import('/app/js/shared/db.js').then(db => db.count('outbox')).then(n => n === 0)")
    for _ in range(50):  # the worker's request events may arrive after the page's answer
        if pushes:
            break
        page.wait_for_timeout(100)
    assert pushes == [True]  # sent once, by the worker, not by the page
    assert stored(world, title="Gửi nền") == 1
    synced(page)  # the worker told the page, which shows it


def test_an_idle_poll_sends_only_what_the_protocol_needs(world, live_server, phone_page):
    """PROTOCOL §5's lean poll: the cursor and the reference hash; no device id, default
    limit or unchanged outbox report; no Content-Type, cookie or Referer header."""
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    record_activity(page, "Dọn vệ sinh đường làng")
    synced(page)
    pulls = []
    page.on("request", lambda r: pulls.append(r) if r.url.endswith("/sync/pull") else None)
    sync_once(page)
    synced(page)
    assert pulls
    request = pulls[-1]
    body = json.loads(request.post_data_buffer or b"null")
    assert set(body) == {"cursor", "reference"} and body["cursor"].startswith("2.")
    headers = request.all_headers()
    assert "content-type" not in headers and "cookie" not in headers
    assert "referer" not in headers
    # The report the server took (none waiting) stands: the server still knows it.
    with world.app.app_context():
        device = db.session.get(Device, uuid.UUID(device_id(page)))
        assert device.pending_count == 0
