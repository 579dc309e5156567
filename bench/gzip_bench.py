"""Does gzip through zlib-ng still pay for itself? One 5,000-record first-download page,
compressed at the configured level by the standard library (what flask-compress would do)
and by zlib-ng (``server/api/compression.py``), against the page's own server time.

    .venv/bin/python bench/gzip_bench.py [--backend sqlite|postgresql] [--repeat 30]

In-process like ``bench/sync_profile.py`` (Flask's test client, no HTTP): the page's JSON is
compressed both ways, and the whole page is asked for with ``Accept-Encoding: gzip`` with
its gzip made both ways, alternately, ``--repeat`` times. Minimums are the figures to
compare on a shared machine (interference only ever adds); medians are shown too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zlib_ng import gzip_ng  # noqa: E402

from bench.sync_bench import Database  # noqa: E402
from bench.sync_profile import Phone, _setup  # noqa: E402
from server.api import compression  # noqa: E402

PAGE = 5000


def _ms(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _line(label: str, times: list[float]) -> str:
    return f"{label:<44} min {min(times):6.1f} ms   median {statistics.median(times):6.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)

    database = Database(args.backend)
    try:
        app, ids = _setup(database.url)
        level = app.config["COMPRESS_LEVEL"]
        rng = random.Random(20261204)
        writer = Phone(app, "writer", ids["branch"])
        reader = Phone(app, "reader", ids["branch"])
        for _ in range(PAGE // 200):
            writer.push(writer.push_body(rng, 200))
        database.settle()

        request = json.dumps(
            {"device_id": reader.device_id, "cursor": None, "limit": PAGE, "reference": None}
        )
        headers = {"Sodoan-Protocol": "1", "Authorization": f"Bearer {reader.token}"}

        def page(encoding: str) -> Any:
            resp = reader.client.post(
                "/api/v1/sync/pull",
                data=request,
                headers={**headers, "Accept-Encoding": encoding},
                content_type="application/json",
            )
            assert resp.status_code == 200
            assert resp.headers.get("Content-Encoding") == (
                None if encoding == "identity" else encoding
            )
            return resp

        body = page("identity").get_data()
        stdlib, ng, served_std, served_ng = [], [], [], []
        for _ in range(args.repeat):
            stdlib += _ms(lambda: gzip.compress(body, level), 1)
            ng += _ms(lambda: gzip_ng.compress(body, level), 1)
            # The whole page as served, its gzip made one way then the other: the shim
            # calls ``compress(data, level)``, which the standard library's module has too.
            compression.gzip_ng = gzip
            served_std += _ms(lambda: page("gzip"), 1)
            compression.gzip_ng = gzip_ng
            served_ng += _ms(lambda: page("gzip"), 1)
        size_std, size_ng = len(gzip.compress(body, level)), len(gzip_ng.compress(body, level))
        assert gzip.decompress(gzip_ng.compress(body, level)) == body

        print(
            f"[{args.backend}] first-download page of {PAGE:,} records: "
            f"{len(body):,} B of JSON, gzip level {level}, {args.repeat} runs each"
        )
        print(_line("gzip, standard library zlib", stdlib) + f"   {size_std:,} B")
        print(_line("gzip, zlib-ng", ng) + f"   {size_ng:,} B")
        print(_line("page as served, gzip by the standard library", served_std))
        print(_line("page as served, gzip by zlib-ng", served_ng))
        saved = min(stdlib) - min(ng)
        print(
            f"zlib-ng saves {saved:.1f} ms a page, {saved / min(served_std):.0%} of the page's "
            f"{min(served_std):.0f} ms with the standard library "
            f"(as served: {min(served_std) - min(served_ng):.1f} ms); "
            f"{1 - size_ng / size_std:.1%} fewer bytes"
        )
        with app.app_context():
            from server.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
