"""Idle poll bytes: what an up-to-date phone pays, headers included, for "anything new?".

    .venv/bin/python bench/idle_poll_bench.py [--backend sqlite|postgresql] [--polls 50]

A fresh database (as ``bench/sync_bench.py`` makes one), gunicorn started with the
deployment's own settings (``deploy/gunicorn.conf.py``: gthread, kept-alive connections),
one member's phone signed in, a few records pushed and pulled, then ``--polls`` idle pulls
with its cursor and reference hash, sent as the field app sends them (``pwa/js/shared``):
the protocol's headers, ``Content-Length``, ``Host``, ``Accept-Encoding: gzip`` — no
cookie (the field app's requests carry ``credentials: "omit"``) and no ``Referer``.
A browser adds its own ``User-Agent``, ``Accept``, ``Origin``, ``sec-fetch-*`` and
language headers, which no server can trim; they are not counted here.

Bytes are counted at the socket (request line, headers, body; status line, headers, body)
over HTTP/1.1 on loopback, without TLS; behind nginx with HTTP/2 the headers are
HPACK-compressed and cost less. Prints the figures, the request and the answer as sent.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sync_bench import (  # noqa: E402
    API,
    BIN,
    HOST,
    PASSWORD,
    ROOT,
    SEED,
    Database,
    Device,
    Server,
    describe_run,
    expect,
    free_port,
    run,
)

TARGET_SENT = 300
TARGET_RECEIVED = 250


class DeployedServer(Server):
    """gunicorn as ``Procfile`` starts it (``-c deploy/gunicorn.conf.py``), on a free port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log = open(log_path, "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "server:create_app()"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"{HOST}:{self.port}", "WEB_CONCURRENCY": "1"},
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()


class FieldAppDevice(Device):
    """A phone whose idle pull is the field app's own: only what the protocol needs."""

    full_body = False

    def idle_body(self) -> dict:
        body = {"cursor": self.cursor, "reference": self.reference}
        if self.full_body:  # the field app before: every member, every time
            body = {"device_id": self.device_id, **body, "limit": 500}
            body["outbox"] = {"count": 0, "oldest": None}
        # pwa/js/shared/sync.js now leaves out limit and outbox when they say nothing new
        # (the default page size, an empty outbox already reported).
        return body

    def poll(self):
        # As JSON.stringify writes it (no spaces), with no Content-Type (``bare``) as the
        # field app sends its polls; --full-body sends what it sent before, header included.
        raw = json.dumps(self.idle_body(), ensure_ascii=False, separators=(",", ":")).encode()
        ex = self.client.post(
            f"{API}/sync/pull", {}, token=self.token, raw=raw, bare=not self.full_body
        )
        return ex, expect(ex, 200, "idle poll")


def measure(backend: str, polls: int, full_body: bool) -> dict:
    db = Database(backend)
    server = None
    try:
        env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SODOAN_ENV": "production",
        }
        env.pop("FLASK_APP", None)
        flask = [str(BIN / "flask"), "--app", "server"]
        run([*flask, "db", "upgrade"], env, "flask db upgrade")
        run([*flask, "seed-catalogue"], env, "flask seed-catalogue")
        spec = json.dumps({"password": PASSWORD, "branches": {"idle": ["bm-idle"]}})
        out = run([str(BIN / "python"), "-c", SEED, spec], env, "seeding")
        line = next(x for x in out.splitlines() if x.startswith("BENCH_SETUP "))
        branch = json.loads(line.removeprefix("BENCH_SETUP "))["idle"]
        server = DeployedServer(env, db.tmp / "gunicorn.log")
        phone = FieldAppDevice(server.port, "bm-idle", branch)
        phone.full_body = full_body
        phone.sign_in()
        phone.push(phone.new_mutations(random.Random(11), 5))
        # Caught up (with the outbox report, as the field app sends it when it changes).
        phone.catch_up(500)
        exchanges = []
        for _ in range(polls):
            ex, page = phone.poll()
            if page.get("changes") or page.get("has_more") or "reference" in page:
                raise RuntimeError(f"an idle poll carried something: {page}")
            phone.cursor = page["cursor"]
            exchanges.append(ex)
        last = exchanges[-1]
        body = json.dumps(phone.idle_body(), ensure_ascii=False, separators=(",", ":"))
        return {
            "backend": backend,
            "polls": polls,
            "sent_max": max(e.sent for e in exchanges),
            "received_max": max(e.received for e in exchanges),
            "head": last.head,
            "body_wire": last.body_wire,
            "request_body": body,
            "request_body_bytes": len(body.encode()),
            "answer_headers": [f"{k}: {v}" for k, v in last.headers],
            "answer_body": json.dumps(last.body, separators=(",", ":")),
            "token_chars": len(phone.token),
        }
    finally:
        if server is not None:
            server.stop()
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--polls", type=int, default=50)
    parser.add_argument(
        "--full-body", action="store_true", help="send limit and outbox too (the app before)"
    )
    args = parser.parse_args(argv)
    print(describe_run(args, None))  # type: ignore[arg-type]
    started = time.perf_counter()
    r = measure(args.backend, args.polls, args.full_body)
    print(f"[{r['backend']}] {r['polls']} idle polls ({time.perf_counter() - started:.1f} s)")
    ok_sent = r["sent_max"] <= TARGET_SENT
    ok_recv = r["received_max"] <= TARGET_RECEIVED
    print(
        f"  sent     {r['sent_max']:>4} B per poll (target ≤ {TARGET_SENT}: "
        f"{'PASS' if ok_sent else 'MISS'}); body {r['request_body_bytes']} B, "
        f"bearer token {r['token_chars']} chars"
    )
    print(
        f"  received {r['received_max']:>4} B per poll (target ≤ {TARGET_RECEIVED}: "
        f"{'PASS' if ok_recv else 'MISS'}) = {r['head']} B status+headers + "
        f"{r['body_wire']} B body"
    )
    print(f"  request body: {r['request_body']}")
    print("  answer headers: " + " | ".join(r["answer_headers"]))
    print(f"  answer body: {r['answer_body']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
