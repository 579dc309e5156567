"""Evidence photos on the phone (issue 14 §1, §5), in Chromium at 360×640: a camera-sized
photo attached offline is shrunk and re-encoded in the browser, kept in IndexedDB with its
SHA-256 and shown at once; it survives a reload; the store's upgrade keeps what an older
version of the app kept; the photo code is not part of the first visit."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import screenshot
from tests.e2e.photos import DB, attach, camera_photo, evidence, photo_bytes
from tests.e2e.pwa import open_activity, ready, record_activity, sign_in, until


@pytest.fixture
def big_photo(tmp_path: Path) -> Path:
    return camera_photo(tmp_path / "IMG_0001.jpg")


def test_photo_attached_offline_is_shrunk_kept_and_queued_after_its_activity(
    world, live_server, phone_page, big_photo
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    assert big_photo.stat().st_size > 1_000_000

    # On the entry form: the photo is staged with the draft, shown at once.
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#photos[data-ready]")
    attach(page, big_photo, 1)
    assert "Gửi khi lưu hoạt động" in page.inner_text("#photo-list")
    assert page.evaluate(f"{DB}.then(db => db.outbox())") == []  # nothing queued before the save
    page.select_option("#f-type", "thu_bay_tinh_nguyen")
    page.fill("#f-title", "Trồng cây ở bản Nà Mạ")
    page.click("#save")
    page.wait_for_selector("#records")

    [rec] = evidence(page)
    # Shrunk to 1,600 px on the longest side, turned upright by the EXIF orientation.
    assert (rec["width"], rec["height"]) == (1200, 1600)
    assert rec["content_type"] in ("image/webp", "image/jpeg")
    assert rec["size"] <= 250 * 1024
    data = photo_bytes(page, rec["id"])
    assert data is not None and len(data) == rec["size"]
    assert hashlib.sha256(data).hexdigest() == rec["sha256"]
    decoded = Image.open(io.BytesIO(data))
    assert decoded.size == (1200, 1600)
    assert decoded.format == {"image/webp": "WEBP", "image/jpeg": "JPEG"}[rec["content_type"]]
    assert not decoded.getexif()  # re-encoded: no EXIF (no position) left
    # Upright: the blue corner mark, top-left in the sideways file, is now top-right.
    r, g, b = decoded.convert("RGB").getpixel((1200 - 30, 30))[:3]
    assert b > 150 and r < 100, (r, g, b)
    assert rec["captured_at"][-6] in "+-"

    outbox = page.evaluate(f"{DB}.then(db => db.outbox())")
    assert [(m["collection"], m["op"]) for m in outbox] == [
        ("activities", "upsert"),
        ("evidence", "upsert"),
    ]
    activity, photo = outbox
    assert photo["record"]["activity_id"] == activity["id"] and photo["n"] > activity["n"]
    assert photo["record"]["sha256"] == rec["sha256"] and photo["record"]["caption"] == ""
    assert set(photo["record"]) == {
        "activity_id",
        "sha256",
        "size",
        "content_type",
        "width",
        "height",
        "captured_at",
        "caption",
    }

    # On the detail screen, and after a reload: still there, waiting.
    open_activity(page, "Trồng cây ở bản Nà Mạ")
    page.wait_for_selector("#photos[data-ready]")
    until(
        page,
        "document.querySelectorAll('#photo-list img[src^=\"data:image/\"]').length === 1",
    )
    assert "Chờ gửi" in page.inner_text("#photo-list")
    page.reload()
    page.wait_for_selector("#photos[data-ready]")
    until(
        page,
        "document.querySelectorAll('#photo-list img[src^=\"data:image/\"]').length === 1",
    )
    assert photo_bytes(page, rec["id"]) == data
    screenshot(page, "pwa-photo-waiting")

    # A second photo from the detail screen is queued at once, after the first.
    attach(page, camera_photo(big_photo.with_name("b.jpg"), 3000, 4000, 1), 2)
    outbox = page.evaluate(f"{DB}.then(db => db.outbox())")
    assert [(m["collection"], m["op"]) for m in outbox][-1] == ("evidence", "upsert")
    second = [r for r in evidence(page) if r["id"] != rec["id"]][0]
    assert (second["width"], second["height"]) == (1200, 1600)

    # Cài đặt: the space the waiting photos take; "only on Wi-Fi" kept; no sign-out while
    # photos wait (it would wipe them).
    page.click("nav a[href='#/settings']")
    page.wait_for_selector("#photos-wifi-only")
    waiting_text = page.inner_text("#photos-waiting")
    assert waiting_text.startswith("2 ảnh chờ gửi") and "KB" in waiting_text
    page.check("#photos-wifi-only")
    until(page, f"{DB}.then(db => db.getMeta('photos_wifi_only'))")
    page.reload()
    page.wait_for_selector("#photos-wifi-only")
    assert page.is_checked("#photos-wifi-only")
    page.click("#sign-out")
    page.wait_for_selector("#sign-out-message:has-text('chưa gửi')")


def test_cancelled_form_drops_its_staged_photos_and_a_deleted_activity_its_photos(
    world, live_server, phone_page, big_photo
):
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    page.context.set_offline(True)
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#photos[data-ready]")
    attach(page, big_photo, 1)
    page.click("#cancel")
    page.wait_for_selector("#records")
    assert evidence(page) == []
    assert page.evaluate(
        f"{DB}.then(db => Promise.all(['photos', 'thumbs'].map(s => db.count(s))))"
    ) == [0, 0]

    record_activity(page, "Sẽ xoá")
    open_activity(page, "Sẽ xoá")
    page.wait_for_selector("#photos[data-ready]")
    attach(page, big_photo, 1)
    page.once("dialog", lambda d: d.accept())
    page.click("#delete")
    page.wait_for_selector("#records")
    until(page, f"{DB}.then(db => db.count('evidence')).then(n => n === 0)")
    assert page.evaluate(
        f"{DB}.then(db => Promise.all(['photos', 'thumbs'].map(s => db.count(s))))"
    ) == [0, 0]


def test_store_upgrade_keeps_what_the_previous_version_kept(world, live_server, phone_page):
    """A phone on version 2 of the store (before photos) opens the new app: its records,
    outbox, drafts and session are all there, and the photo stores exist."""
    page = phone_page
    page.goto(live_server + "/app/manifest.webmanifest")  # same origin, the app not running
    page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open('sodoan', 2);
            req.onupgradeneeded = () => {
                const db = req.result;
                db.createObjectStore('records', { keyPath: 'id' });
                db.createObjectStore('outbox', { keyPath: 'n' }).createIndex('by_id', 'id');
                db.createObjectStore('meta');
                db.createObjectStore('conflicts', { keyPath: 'id' });
                db.createObjectStore('drafts');
            };
            req.onsuccess = () => {
                const db = req.result;
                const tx = db.transaction(['records', 'outbox', 'meta', 'drafts'], 'readwrite');
                const kept = { id: 'r1', version: 0, title: 'Giữ lại', _pending: true };
                tx.objectStore('records').put(kept);
                tx.objectStore('outbox').put({
                    n: 7, id: 'r1', collection: 'activities', op: 'upsert',
                    record: { title: 'Giữ lại' },
                });
                tx.objectStore('meta').put(8, 'next_n');
                tx.objectStore('drafts').put({ values: { title: 'nháp' } }, 'new');
                tx.oncomplete = () => { db.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
            req.onerror = () => reject(req.error);
        })"""
    )
    page.goto(live_server + "/app/")
    page.wait_for_selector("#sign-in")  # no session was kept: the sign-in screen
    kept = page.evaluate(
        """async () => {
            const db = await import('/app/js/shared/db.js');
            const conn = await db.open();
            return {
                version: conn.version,
                stores: [...conn.objectStoreNames].sort(),
                records: await db.all('records'),
                outbox: await db.outbox(),
                next: await db.getMeta('next_n'),
                draft: await db.getDraft('new'),
            };
        }"""
    )
    assert kept["version"] == 3
    assert kept["stores"] == [
        "conflicts",
        "drafts",
        "evidence",
        "meta",
        "outbox",
        "photos",
        "records",
        "thumbs",
    ]
    assert kept["records"] == [{"id": "r1", "version": 0, "title": "Giữ lại", "_pending": True}]
    assert [m["n"] for m in kept["outbox"]] == [7] and kept["next"] == 8
    assert kept["draft"] == {"values": {"title": "nháp"}}


def test_photo_code_is_not_part_of_the_first_visit(world, live_server, phone_page):
    page = phone_page
    ready(page, live_server)
    # The sources' module, or the build's chunk of it (js/chunks/photos-<hash>.js).
    photo_code = r"/\/js\/photo\/|\/photos-[A-Z0-9]+\.js$/"
    loaded = (
        "performance.getEntriesByType('resource').map(e => e.name)"
        f".filter(n => {photo_code}.test(n))"
    )
    assert page.evaluate(loaded) == []
    assert page.locator("link[rel=modulepreload][href*='js/photo/']").count() == 0
    sign_in(page, "hoa")
    assert page.evaluate(loaded) == []  # the list does not need it
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#photos[data-ready]")  # loaded now, with the form
    # …and offline too: the worker fetched it into its cache once it controlled the page
    # (not at install, decision 190).
    assert page.evaluate(
        "caches.keys().then(ks => caches.open(ks.find(k => k.startsWith('sodoan-shell-'))))"
        ".then(c => c.keys())"
        f".then(reqs => reqs.some(r => {photo_code}.test(new URL(r.url).pathname)))"
    )
