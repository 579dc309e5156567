"""Memory while a unit's evidence ZIP is streamed (issue 14, benchmark): the archive is
written photo by photo into the answer, so the memory it takes must not grow with the
number of photos.

    .venv/bin/python bench/evidence_zip_bench.py [--photos 500] [--kb 200]

The photos are random bytes (they do not compress, as JPEGs do not) in a local photo store
under a temporary directory; the archive is made by the route's own generator
(``server/evidence/views.py``) and read to its end the way a WSGI server sends it, with
``tracemalloc`` recording the peak of what Python allocated meanwhile. Printed for 10 %,
50 % and 100 % of the photos: a flat peak is the result to look for.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.evidence.storage import LocalStorage  # noqa: E402
from server.evidence.views import _zip  # noqa: E402


def run(store: LocalStorage, keys: list[str]) -> tuple[int, float, float]:
    """(archive bytes, peak MB allocated while streaming, seconds)."""
    entries = [(k, f"{i:04d}.jpg") for i, k in enumerate(keys)]
    tracemalloc.start()
    started = time.perf_counter()
    total = 0
    for block in _zip(store, entries):
        total += len(block)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return total, peak / 1e6, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--kb", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStorage(Path(tmp) / "store")
        keys = []
        for _ in range(args.photos):
            data = os.urandom(args.kb * 1024)
            key = f"img/{hashlib.sha256(data).hexdigest()}.jpg"
            store.put(key, io.BytesIO(data))
            keys.append(key)
        print(f"{args.photos} photos of {args.kb} KB in a local store")
        for share in (0.1, 0.5, 1.0):
            count = max(1, int(args.photos * share))
            size, peak, seconds = run(store, keys[:count])
            print(
                f"{count:5d} photos: archive {size / 1e6:7.1f} MB, "
                f"peak allocated while streaming {peak:5.2f} MB, {seconds:5.2f} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
