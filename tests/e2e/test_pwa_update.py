"""New versions of the field app: announced, applied by the person, and never at the cost of
an entry — neither the shell update nor the step-by-step upgrade of the phone's database."""

from __future__ import annotations

import shutil
import uuid

from server.extensions import db
from server.models import Activity
from server.pwa import PWA
from tests.e2e.conftest import screenshot
from tests.e2e.pwa import outbox_count, ready, record_activity, sign_in, stored, synced, until
from tests.world import activity_record

#: The one shell cache left once a version is active (activation deletes the older ones).
SHELL_CACHE = (
    "caches.keys().then(k => k.filter(n => n.startsWith('sodoan-shell-')))"
    ".then(k => k.length === 1 ? k[0] : null)"
)


def test_a_new_version_is_offered_and_applied_without_losing_waiting_entries(
    world, live_server, phone_page, tmp_path
):
    shell = tmp_path / "pwa"
    shutil.copytree(PWA, shell)
    world.app.config["PWA_DIR"] = str(shell)
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")
    old_cache = until(page, "caches.keys().then(k => k.find(n => n.startsWith('sodoan-shell-')))")

    # The API is out of reach (the shell is not): entries wait while the update comes.
    page.context.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    record_activity(page, "Chờ qua bản cập nhật")
    record_activity(page, "Chờ qua bản cập nhật 2")
    assert outbox_count(page) == 2

    css = shell / "app.css"
    css.write_text(css.read_text() + "\n/* next version */\n")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    page.wait_for_selector("#update:has-text('Có phiên bản mới')", timeout=20000)
    screenshot(page, "pwa-new-version")
    assert outbox_count(page) == 2  # nothing happened by itself
    page.click("#apply-update")
    until(
        page,
        "old => caches.keys().then(k => k.some(n => n.startsWith('sodoan-shell-') && n !== old))",
        arg=old_cache,
    )
    page.wait_for_selector("#records")
    until(page, "() => document.querySelector('#update').hidden")
    until(
        page,
        "() => fetch('/app/app.css').then(r => r.text()).then(t => t.includes('next version'))",
    )
    assert outbox_count(page) == 2
    assert page.locator("#records li").count() == 2

    page.context.unroute("**/api/v1/**")
    page.click("#sync")
    synced(page)
    assert outbox_count(page) == 0
    assert stored(world) == 2


def test_a_phone_on_the_first_database_version_is_upgraded_with_its_outbox(
    world, live_server, phone_page
):
    """A phone that last ran the first release (IndexedDB version 1) with an entry waiting:
    the upgrade steps keep the entry, and it is sent."""
    phone = world.phone("hoa")
    record_id = str(uuid.uuid4())
    record = activity_record(world.ids["b1"], title="Từ phiên bản đầu", status="submitted")
    page = phone_page
    page.goto(live_server + "/app/manifest.webmanifest")  # the origin, without the app
    page.evaluate(
        """([session, record, id]) => new Promise((resolve, reject) => {
          const req = indexedDB.open("sodoan", 1);
          req.onupgradeneeded = () => {
            const db = req.result;
            db.createObjectStore("records", { keyPath: "id" });
            db.createObjectStore("outbox", { keyPath: "n" }).createIndex("by_id", "id");
            db.createObjectStore("meta");
          };
          req.onsuccess = () => {
            const db = req.result;
            const tx = db.transaction(["records", "outbox", "meta"], "readwrite");
            tx.objectStore("records").put({ id, version: 0, ...record, _pending: true });
            tx.objectStore("outbox").put({ n: 1, collection: "activities", op: "upsert", id,
              base_version: null, record, typed_at: record.recorded_at });
            tx.objectStore("meta").put(session, "session");
            tx.objectStore("meta").put(2, "next_n");
            tx.oncomplete = () => { db.close(); resolve(); };
            tx.onerror = () => reject(tx.error);
          };
          req.onerror = () => reject(req.error);
        })""",
        [
            {"token": phone.token, "device_id": str(phone.device_id), "user": {"unit_id": 1}},
            record,
            record_id,
        ],
    )
    page.goto(live_server + "/app/")
    synced(page)
    version = page.evaluate(
        "new Promise(r => { const q = indexedDB.open('sodoan'); "
        "q.onsuccess = () => { r(q.result.version); q.result.close(); }; })"
    )
    assert version == 3  # through every upgrade (3: evidence photos)
    assert outbox_count(page) == 0
    with world.app.app_context():
        assert db.session.get(Activity, uuid.UUID(record_id)).title == "Từ phiên bản đầu"


def test_an_app_speaking_an_old_protocol_is_told_to_update_and_keeps_its_entries(
    world, live_server, phone_page, tmp_path
):
    """A build speaking a protocol the server no longer accepts (426), e.g. an old version
    rolled out by mistake: entries wait, the person is told to update, the fixed version
    sends them."""
    shell = tmp_path / "pwa"
    shutil.copytree(PWA, shell)
    api = shell / "js" / "shared" / "api.js"
    current = api.read_text()
    world.app.config["PWA_DIR"] = str(shell)
    page = phone_page
    ready(page, live_server)
    sign_in(page, "hoa")

    def deploy(text: str) -> None:
        before = until(page, SHELL_CACHE)
        api.write_text(text)
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        page.wait_for_selector("#update:has-text('Có phiên bản mới')", timeout=20000)
        page.click("#apply-update")
        until(page, f"{SHELL_CACHE}.then(name => name && name !== {before!r})")
        page.wait_for_selector("#records")

    deploy(current.replace('PROTOCOL = "1"', 'PROTOCOL = "0"'))
    page.context.set_offline(True)
    record_activity(page, "Chờ bản sửa")
    page.context.set_offline(False)
    page.wait_for_selector("#status:has-text('Cần cập nhật ứng dụng')", timeout=20000)
    assert "1 mục đang chờ gửi" in page.inner_text("#status")
    assert outbox_count(page) == 1 and stored(world) == 0

    api.write_text(current)
    page.click("#apply-update")  # the banner asks the server for a new version
    page.wait_for_selector("#update:has-text('Có phiên bản mới')", timeout=20000)
    page.click("#apply-update")
    page.wait_for_selector("#records")
    synced(page)
    assert outbox_count(page) == 0 and stored(world) == 1
    assert "Cần cập nhật" not in page.inner_text("#status")
