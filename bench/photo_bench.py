"""Evidence photos on 2G (issue 14, benchmark): 20 photos taken offline go up from the field
app in Chromium over an emulated 2G link, with one forced disconnect half way.

    .venv/bin/python bench/photo_bench.py [--photos N] [--quick]

Set-up as ``bench/pwa_bench.py``: a fresh SQLite database with the catalogue and the demo,
gunicorn as the Procfile starts it (photos in a temp directory), Chromium behind the
counting TCP relay (``WireTap``: every byte each way at the socket), a 360×640 phone.
The demo's branch member signs in (unthrottled), goes offline, records one activity
through the app's outbox and adds N camera-sized photos (4000×3000 JPEGs made with Pillow
now, with a grain that survives shrinking: each becomes a file near 250 KB, the upper end
of what the app makes) through the activity screen's gallery input, as a person does.
Then the link becomes 2G (``pwa_bench.TWO_G``: 800 ms, 280 kbit/s down, 256 kbit/s up, by
CDP on the page), the phone goes online and the app pushes the outbox and uploads the
photos one at a time. When about half the bytes have crossed the link the network is cut
(CDP offline) for 5 s, then restored; the app resumes from the server's offset (on the
``online`` event's sync, or its upload backoff).

Printed: the photos' bytes (what the phone encoded), bytes up and down on the wire for the
uploads and for everything, the number of chunks, the bytes the cut cost (sent but not
acknowledged), time from online to the last photo released, and the link's physical bound
(the photos' bytes at the uplink rate, with no latency at all). The server's records are
checked: every photo stored, with the phone's hash. Exit status 1 if one is not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pwa_bench import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    CONTROLLED,
    PASSWORD,
    PHONE,
    READ_SESSION,
    SUBMIT,
    SYNCED_TEXT,
    TWO_G,
    USERNAME,
    WireTap,
    demo_server,
    describe,
    make_entries,
    until,
)
from bench.sync_bench import HOST  # noqa: E402
from tests.e2e.photos import camera_photo  # noqa: E402

DB = "import('/app/js/shared/db.js')"
QUEUE_ONE = """async (e) => {
  const outbox = await import('/app/js/shared/outbox.js');
  await outbox.queueUpsert({ id: e.id, version: 0, ...e.record });
}"""
WAITING = f"{DB}.then(db => db.all('photos')).then(ps => ps.map(p => p.id))"
EVIDENCE = f"{DB}.then(db => db.all('evidence'))"
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0}


def n(x: float) -> str:
    return f"{x:,.0f}"


def main(argv: list[str] | None = None) -> int:
    work = Path(tempfile.mkdtemp(prefix="sodoan_photo_bench_"))
    try:
        return bench(work, argv)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(work: Path, argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 photos")
    args = parser.parse_args(argv)
    count = 5 if args.quick else args.photos

    from playwright.sync_api import sync_playwright

    os.environ["EVIDENCE_DIR"] = str(work / "evidence")
    os.environ["EVIDENCE_UPLOAD_DIR"] = str(work / "uploads")
    print(f"making {count} camera photos (4000×3000) with Pillow…", flush=True)
    photos = [camera_photo(work / f"IMG_{i:04d}.jpg", grain=0.2) for i in range(count)]
    print("setting up: fresh SQLite database, catalogue, demo (about a minute)", flush=True)
    with demo_server() as (server, _env, login, who, _tmp), sync_playwright() as p:
        wire = WireTap(server.port)
        base = f"http://{HOST}:{wire.port}"
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        header = describe(browser.version).replace("pwa_bench", "photo_bench", 1)
        context = browser.new_context(**PHONE, service_workers="allow")
        page = context.new_page()
        page.goto(base + "/app/")
        until(page, CONTROLLED, 60)
        page.fill(USERNAME, login[0])
        page.fill(PASSWORD, login[1])
        page.click(SUBMIT)
        page.wait_for_selector(f"#status:has-text('{SYNCED_TEXT}')", timeout=120_000)
        known = page.evaluate(READ_SESSION)
        [entry] = make_entries(1, known["unit_id"], known["types"], random.Random(14))

        # Offline and 2G through one CDP session: Playwright's own offline switch would
        # reset the link the page reports (navigator.connection), and the app sizes its
        # chunks by it.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", OFFLINE)
        until(page, "!navigator.onLine", 10)
        page.evaluate(QUEUE_ONE, entry)
        page.goto(f"{base}/app/#/a/{entry['id']}")
        page.wait_for_selector("#photos[data-ready]", timeout=60_000)
        started = time.perf_counter()
        page.set_input_files("#photo-gallery", [str(x) for x in photos])
        until(page, f"{DB}.then(db => db.count('photos')).then(c => c === {count})", 600)
        shrink_s = time.perf_counter() - started
        records = {r["id"]: r for r in page.evaluate(EVIDENCE)}
        total = sum(r["size"] for r in records.values())

        mark = wire.mark()
        cdp.send("Network.emulateNetworkConditions", TWO_G.cdp())
        t0 = time.perf_counter()
        cut_at = None
        while True:
            left = page.evaluate(WAITING)
            if not left:
                break
            sent = sum(w.up for w in wire.since(mark) if "/upload" in w.line)
            if cut_at is None and sent >= total / 2:
                cut_at = time.perf_counter() - t0
                cdp.send("Network.emulateNetworkConditions", OFFLINE)
                page.wait_for_timeout(5000)
                cdp.send("Network.emulateNetworkConditions", TWO_G.cdp())
            if time.perf_counter() - t0 > 3600:
                print("photos still waiting after an hour", file=sys.stderr)
                return 1
            page.wait_for_timeout(250)
        took = time.perf_counter() - t0
        token = page.evaluate(f"{DB}.then(db => db.getMeta('session')).then(s => s.token)")
        wires = wire.since(mark)
        context.close()
        browser.close()

        import requests

        headers = {"Sodoan-Protocol": "1", "Authorization": f"Bearer {token}"}
        stored = {}
        cursor = None
        while True:
            page_ = requests.post(
                f"http://{HOST}:{server.port}/api/v1/sync/pull",
                headers=headers,
                data=json.dumps({"cursor": cursor}),
                timeout=60,
            ).json()
            for c in page_["changes"]:
                if c["collection"] == "evidence" and not c["deleted"]:
                    stored[c["id"]] = c["record"]
            cursor = page_["cursor"]
            if not page_["has_more"]:
                break

    uploads = [w for w in wires if "/upload" in w.line]
    patches = [w for w in uploads if w.line.startswith("PATCH")]
    up = sum(w.up for w in uploads)
    down = sum(w.down for w in uploads)
    bound = total / (TWO_G.up_kbit * 1024 / 8)
    ok = all(
        i in stored and stored[i]["stored"] and stored[i]["sha256"] == r["sha256"]
        for i, r in records.items()
    )
    print("\n" + "=" * 100)
    print(header)
    print(f"person: {who}; link: {TWO_G.label()} (CDP on the page), one cut of 5 s")
    print("=" * 100)
    print(f"photos: {count}, shrunk in the browser in {shrink_s:.1f} s (all {count})")
    print(f"  encoded bytes: {n(total)} B ({n(total / count)} B a photo on average)")
    print(f"uploads on the wire: {len(uploads)} requests ({len(patches)} PATCH chunks)")
    print(f"  up {n(up)} B ({up / total:.3f}× the photos' bytes), down {n(down)} B")
    chunks_up = sum(w.up for w in patches)
    print(
        f"  PATCH bytes up beyond the photos' bytes (headers, and the chunk the cut lost): "
        f"{n(chunks_up - total)} B"
    )
    print(
        f"  everything on the wire: up {n(sum(w.up for w in wires))} B, down "
        f"{n(sum(w.down for w in wires))} B ({len(wires)} requests)"
    )
    print(f"cut at {cut_at:.1f} s for 5 s" if cut_at is not None else "no cut (too fast)")
    print(f"time from online to the last photo released: {took:.1f} s")
    print(
        f"physical bound (photos' bytes at {TWO_G.up_kbit:g} kbit/s up, no latency): "
        f"{bound:.1f} s; measured / bound = {took / bound:.2f}"
    )
    print(
        f"server: {sum(1 for i in records if i in stored and stored[i]['stored'])} of "
        f"{count} stored with the phone's hash: {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
