// Push the outbox in order, then pull pages until has_more is false. One sync at a time
// across tabs (Web Locks); a failed request leaves everything as it was for next time.

import { call } from "./api.js";
import * as store from "./db.js";

const BATCH = 200;
const PAGE = 500;

async function pushAll(session) {
  for (;;) {
    const outbox = (await store.all("outbox")).sort((a, b) => a.n - b.n);
    if (!outbox.length) return;
    const batch = outbox.slice(0, BATCH);
    const mutations = batch.map(({ n, collection, op, id, base_version, record, changed }) => ({
      n, collection, op, id, base_version, record, changed,
    }));
    const answer = await call(
      "/sync/push", { device_id: session.device_id, mutations }, session.token,
    );
    await store.acknowledge(answer.results);
  }
}

async function pullAll(session) {
  for (;;) {
    const outbox = await store.all("outbox");
    const pending = new Set(outbox.map((m) => m.id));
    const oldest = outbox.reduce((min, m) => (!min || m.typed_at < min ? m.typed_at : min), null);
    const page = await call(
      "/sync/pull",
      {
        device_id: session.device_id,
        cursor: (await store.getMeta("cursor")) || null,
        limit: PAGE,
        reference: ((await store.getMeta("reference")) || {}).hash || null,
        outbox: { count: outbox.length, oldest },
      },
      session.token,
    );
    await store.applyPage(page.changes, page.cursor, page.reference, pending);
    if (!page.has_more) return;
  }
}

export async function syncNow(session) {
  const run = async () => {
    await pushAll(session);
    await pullAll(session);
    await store.setMeta({ last_sync: new Date().toISOString() });
  };
  if (navigator.locks) return navigator.locks.request("sodoan-sync", run);
  return run();
}
