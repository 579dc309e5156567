"""A phone whose storage is full, for real: the browser's profile lives on a small tmpfs that
the test fills up. Chromium then refuses IndexedDB writes with QuotaExceededError, as it does
on a phone with no space left. (Overriding the quota through the DevTools protocol has no
effect on this Chromium, and a fault injected in JavaScript would not test the browser.)"""

from __future__ import annotations

import errno
import os
import secrets
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, PHONE, screenshot
from tests.e2e.pwa import outbox_count, ready, sign_in, stored, synced, until
from tests.world import activity_record

FULL = "Bộ nhớ điện thoại đã đầy"


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 40 MB filesystem, mounted for this test only."""
    where = Path(tempfile.mkdtemp(prefix="sodoan-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"needs to mount a small tmpfs (root): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)
        where.rmdir()


def _fill(disk: Path) -> Path:
    """Take every free byte of ``disk``; delete the returned file to give them back.
    Called again after a refused write: the browser then frees a little of its own."""
    filler = disk / "filler"
    chunk = b"\0" * (1 << 20)
    with open(filler, "ab", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as err:
            assert err.errno == errno.ENOSPC, err
        for size in (65536, 4096, 512, 1):  # the last crumbs too
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                pass
    assert os.statvfs(disk).f_bavail == 0
    return filler


@pytest.fixture
def phone_on_small_disk(browser, small_disk: Path) -> Iterator[Any]:
    """A browser of its own, whose profile (and so its IndexedDB) lives on the small disk."""
    context = browser.browser_type.launch_persistent_context(
        str(small_disk / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        service_workers="allow",
        **PHONE,
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_full_phone_says_so_keeps_the_typing_and_saves_once_space_is_freed(
    world, live_server, small_disk, phone_on_small_disk
):
    page = phone_on_small_disk
    ready(page, live_server)
    sign_in(page, "hoa")
    page.click("nav a[href='#/new']")
    page.wait_for_selector("#activity-form")
    page.select_option("#f-type", "thu_bay_tinh_nguyen")
    page.fill("#f-title", "Dọn vệ sinh đường làng")
    page.fill("#f-starts_on", "21/11/2026")
    page.fill("#f-members_count", "9")
    notes = secrets.token_urlsafe(3700)  # more than a page of the disk
    page.fill("#f-description", notes)
    filler = _fill(small_disk)

    # Saving is refused with the reason, and nothing typed is lost.
    page.click("#save")
    page.wait_for_selector(f"#form-error:has-text('{FULL}')")
    page.wait_for_selector(f"#status:has-text('{FULL}')")
    screenshot(page, "pwa-storage-full")
    assert page.input_value("#f-title") == "Dọn vệ sinh đường làng"
    assert page.input_value("#f-members_count") == "9"
    assert page.input_value("#f-description") == notes

    # A colleague's entries reach the server (long notes: more than the browser can
    # squeeze into what is left); this phone cannot store them, and says so.
    colleague = world.phone("lan")
    colleague.push(
        *(
            colleague.mutation(
                "upsert",
                uuid.uuid4(),
                activity_record(
                    world.ids["b1"],
                    title=f"Của Lan {i}",
                    status="submitted",
                    description=secrets.token_urlsafe(3700),
                ),
            )
            for i in range(40)
        )
    )
    _fill(small_disk)
    before = int(page.get_attribute("body", "data-syncs") or 0)
    page.click("#sync")
    until(page, "n => Number(document.body.dataset.syncs || 0) > n", arg=before)
    page.wait_for_selector(f"#status:has-text('{FULL}')")
    assert "Đã đồng bộ" not in page.inner_text("#status")
    assert page.input_value("#f-title") == "Dọn vệ sinh đường làng"

    # Space freed: the same form saves; the entry and the colleague's arrive, once.
    filler.unlink()
    page.click("#save")
    page.wait_for_selector("#records")
    synced(page)
    assert FULL not in page.inner_text("#status")
    assert outbox_count(page) == 0
    assert page.locator("#records a.record", has_text="Của Lan").count() == 40
    assert page.locator("#records a.record", has_text="Dọn vệ sinh").count() == 1
    assert stored(world, title="Dọn vệ sinh đường làng", description=notes) == 1
