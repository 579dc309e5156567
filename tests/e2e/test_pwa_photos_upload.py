"""Evidence photos reach the server (issue 14 §1, §2, §5), end to end: Chromium at 360×640
against the real server (PROTOCOL §9), no part of the API mocked. A photo taken offline
goes up after its activity once the phone is online, arrives at the reduced size with the
phone's hash, and only then are its bytes released on the phone (the thumbnail stays).
With the network cut after the first acknowledged chunk, the upload resumes from the
server's acknowledged offset, not from zero, and the server receives no byte twice beyond
the lost chunk. Another phone of the branch sees the photo as a thumbnail, kept offline."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.photos import DB, attach, camera_photo, evidence, photo_bytes
from tests.e2e.pwa import open_activity, ready, sign_in, sync_once, until
from tests.world import HEADERS

UPLOAD = "**/api/v1/evidence/*/upload"


def new_activity_with_photo(page: Any, title: str, photo: Path) -> dict:
    """The entry form, a photo from the gallery, "Lưu"; returns the photo's record."""
    before = {r["id"] for r in evidence(page)}
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#photos[data-ready]")
    attach(page, photo, 1)
    page.select_option("#f-type", "thu_bay_tinh_nguyen")
    page.fill("#f-title", title)
    page.click("#save")
    page.wait_for_selector("#records")
    [rec] = [r for r in evidence(page) if r["id"] not in before]
    assert not rec["activity_id"].startswith("draft:")
    return rec


def on_server(world: Any, evidence_id: str) -> tuple[dict, Image.Image]:
    """What the server says of the photo, asked by another device of the branch: its
    record (by pull) and its stored file (GET /evidence/{id}/file)."""
    other = world.phone("hoa")
    other.sync_down()
    record = other.store[evidence_id]
    resp = other.client.get(
        f"/api/v1/evidence/{evidence_id}/file",
        headers={**HEADERS, "Authorization": f"Bearer {other.token}"},
    )
    assert resp.status_code == 200, resp.status_code
    return record, Image.open(io.BytesIO(resp.data))


def released(page: Any, evidence_id: str) -> None:
    until(page, f"{DB}.then(db => db.get('photos', '{evidence_id}')).then(p => !p)", 60000)


def test_photo_taken_offline_arrives_reduced_and_is_released(
    world, live_server, phone_page, tmp_path, browser
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    rec = new_activity_with_photo(page, "Trồng cây", camera_photo(tmp_path / "a.jpg"))
    page.reload()
    page.wait_for_selector("#records")
    data = photo_bytes(page, rec["id"])
    assert data is not None and len(data) == rec["size"]

    seen: list[tuple[str, str | None]] = []
    page.on(
        "request",
        lambda r: "/evidence/" in r.url and seen.append((r.method, r.headers.get("upload-offset"))),
    )
    page.context.set_offline(False)
    released(page, rec["id"])
    assert seen[0] == ("GET", None) and seen[1] == ("PATCH", "0")  # asked first, from 0

    record, stored = on_server(world, rec["id"])
    assert record["stored"] is True and record["sha256"] == rec["sha256"]
    assert record["activity_id"] == rec["activity_id"]
    assert max(stored.size) <= 1600 and stored.size == (1200, 1600)  # reduced, upright
    assert (record["stored_width"], record["stored_height"]) == stored.size
    # The bytes are gone from the phone, the thumbnail stays and shows.
    assert page.evaluate(f"{DB}.then(db => db.get('thumbs', '{rec['id']}')).then(t => !!t)")
    open_activity(page, "Trồng cây")
    page.wait_for_selector("#photos[data-ready]")
    until(page, "document.querySelectorAll('#photo-list img[src^=\"data:image/\"]').length === 1")
    assert "Chờ gửi" not in page.inner_text("#photo-list")
    screenshot(page, "pwa-photo-sent")

    # Staff see it in the review page: the server's thumbnail, loaded.
    staff = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        desk = staff.new_page()
        desk.goto(live_server + "/login")
        desk.fill("#username", "tinh")  # provincial staff
        desk.fill("#password", "mat-khau-thu-nghiem")
        desk.click("button[type=submit]")
        desk.click("text=Duyệt hoạt động")
        desk.click(f"#queue a[href$='{rec['activity_id']}']")
        desk.wait_for_selector("#evidence img")
        until(desk, "[...document.querySelectorAll('#evidence img')].every(i => i.naturalWidth)")
        assert desk.locator("#evidence img").count() == 1
        assert 0 < desk.evaluate("document.querySelector('#evidence img').naturalWidth") <= 320
        screenshot(desk, "dashboard-review-photo")
    finally:
        staff.close()

    # Another phone of the branch: the photo as a thumbnail from the server, kept offline.
    context = browser.new_context(**PHONE, service_workers="allow")
    try:
        other = context.new_page()
        ready(other, live_server)
        sign_in(other, "hoa")
        open_activity(other, "Trồng cây")
        until(other, "document.querySelectorAll('#photo-list img[src^=\"data:image/\"]').length")
        assert "Trên máy chủ" in other.inner_text("#photo-list")
        context.set_offline(True)
        other.reload()
        other.wait_for_selector("#photos[data-ready]")
        until(other, "document.querySelectorAll('#photo-list img[src^=\"data:image/\"]').length")
    finally:
        context.close()


def test_upload_cut_mid_way_resumes_from_the_acknowledged_offset(
    world, live_server, phone_page, tmp_path
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    # No way through to the API while the photo is taken (Playwright's own offline mode
    # would also reset the link emulated below).
    page.route("**/api/v1/**", lambda r: r.abort("internetdisconnected"))
    photo = camera_photo(tmp_path / "grainy.jpg", grain=0.2)
    rec = new_activity_with_photo(page, "Hiến máu", photo)
    assert rec["size"] > 3 * 32 * 1024  # several 2G chunks

    # A 2G-class link as Chromium reports it (navigator.connection.downlink ≤ 0.4 Mbit/s):
    # the phone sends 32 KiB chunks.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    rate = 280 * 1024 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": rate, "uploadThroughput": rate},
    )
    until(page, "navigator.connection.downlink > 0 && navigator.connection.downlink <= 0.4")
    reached: list[tuple[int, int]] = []  # (Upload-Offset, bytes) of chunks that got through
    lost: list[tuple[int, int]] = []
    offsets_told: list[int] = []

    def route(r: Any) -> None:
        req = r.request
        if req.method == "PATCH":
            chunk = (int(req.headers["upload-offset"]), len(req.post_data_buffer or b""))
            if len(reached) == 1 and not lost:
                lost.append(chunk)  # the network drops on the second chunk
                r.abort("internetdisconnected")
                return
            reached.append(chunk)
        r.continue_()

    page.unroute("**/api/v1/**")
    page.route(UPLOAD, route)
    page.on(
        "response",
        lambda resp: (
            resp.request.method == "GET"
            and resp.url.endswith("/upload")
            and offsets_told.append(resp.json()["offset"])
        ),
    )
    sync_once(page)  # the network is back: the outbox goes, then the photo
    for _ in range(600):
        if lost:
            break
        page.wait_for_timeout(100)
    assert lost, f"the cut never happened: {reached}, {rec['size']} B"
    # Cut: the photo is still on the phone, waiting.
    assert photo_bytes(page, rec["id"]) is not None
    assert reached == [(0, 32 * 1024)] and lost == [(32 * 1024, 32 * 1024)]

    # The upload run has ended on the cut (it holds a Web Lock while it runs).
    until(page, "navigator.locks.query().then(s => !s.held.some(l => l.name === 'sodoan-upload'))")
    sync_once(page)  # the next sync sends the rest
    released(page, rec["id"])
    # It asked, and went on from the acknowledged offset, never from zero.
    assert offsets_told[:2] == [0, 32 * 1024]
    assert reached[1][0] == 32 * 1024
    # No byte range twice: each chunk starts where the one before ended, up to the size.
    ends = 0
    for offset, length in reached:
        assert offset == ends
        ends += length
    assert ends == rec["size"]
    record, stored = on_server(world, rec["id"])
    assert record["stored"] is True and record["sha256"] == rec["sha256"]
    assert stored.size == (1200, 1600)


def test_refused_photos_stay_on_the_phone_with_the_reason(world, live_server, phone_page, tmp_path):
    """A file whose bytes no longer match its hash (damaged in the phone's store) is
    refused by the server twice (the phone re-reads and checks before the second try);
    a photo over the branch's quota is refused at push. Both stay on the phone, each with
    its reason in Vietnamese."""
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    rec = new_activity_with_photo(page, "Ảnh hỏng", camera_photo(tmp_path / "a.jpg"))
    # Damage one byte of the kept file, as a failing flash chip would.
    page.evaluate(
        """async ([id]) => {
            const db = await import('/app/js/shared/db.js');
            const item = await db.get('photos', id);
            const bytes = new Uint8Array(await item.blob.arrayBuffer());
            bytes[bytes.length >> 1] ^= 0xff;
            const blob = new Blob([bytes], { type: item.blob.type });
            await db.putAll({ photos: { ...item, blob } });
        }""",
        [rec["id"]],
    )
    patches: list[str] = []
    page.on("request", lambda r: r.method == "PATCH" and patches.append(r.url))
    page.context.set_offline(False)
    until(page, f"{DB}.then(db => db.get('photos', '{rec['id']}')).then(p => p && p.problem)")
    problem = page.evaluate(f"{DB}.then(db => db.get('photos', '{rec['id']}'))")["problem"]
    assert problem["code"] == "hash_mismatch"
    assert photo_bytes(page, rec["id"]) is not None  # kept
    open_activity(page, "Ảnh hỏng")
    page.wait_for_selector("#photo-list li[data-state=refused]")
    assert "Ảnh bị hỏng khi gửi" in page.inner_text("#photo-list")
    sent = len(patches)
    sync_once(page)  # not sent again by itself: it would be refused again
    assert len(patches) == sent

    world.app.config["EVIDENCE_QUOTA_BYTES"] = 1
    page.context.set_offline(True)
    over = new_activity_with_photo(page, "Quá hạn mức", camera_photo(tmp_path / "b.jpg"))
    page.context.set_offline(False)
    until(page, f"{DB}.then(db => db.get('evidence', '{over['id']}')).then(r => r && r._rejected)")
    open_activity(page, "Quá hạn mức")
    page.wait_for_selector("#photo-list li[data-state=refused]")
    assert "đã dùng hết dung lượng ảnh" in page.inner_text("#photo-list")
    assert photo_bytes(page, over["id"]) is not None
