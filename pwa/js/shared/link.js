// How much one push may carry on this phone's link, and how long to wait for its answer.
//
// A 2G link near the border carries ~50 kbit/s up: a 200-entry batch with long
// descriptions (120–300 KB gzipped) takes 20–50 s there, past any server's patience, and a
// batch sized by count alone would be cut and resent for ever. So a push is sized by its
// compressed bytes to take about TARGET_MS on the link as this phone last measured it
// (kept per device in meta "link", across restarts), and is abandoned when it takes much
// longer than that. A time-out or a cut halves the estimate; answered pushes measure it
// again, so batches grow back as soon as the link allows.
// Works in the page and in the service worker (no DOM).

import * as store from "./db.js";

const TARGET_MS = 8000; // a push should take about this long
const FIRST = { bps: 5000, ratio: 0.5 }; // an unknown link is taken for GPRS (40 kbit/s)
const MIN_BPS = 500;
const MIN_BUDGET = 4096; // one entry always goes, whatever its size
const BASE_TIMEOUT_MS = 10000; // a round trip on 2G, the server's work, a proxy
const SLACK = 3; // the link may be three times slower than estimated before we give up
const MAX_TIMEOUT_MS = 180000;
const TRUSTED_BYTES = 16384; // below this a push's time is mostly latency

/** This phone's estimate: upload bytes per second, and gzip's ratio on its entries. */
export async function load() {
  return { ...FIRST, ...((await store.getMeta("link")) || {}) };
}

export function save(link) {
  return store.setMeta({ link: { bps: Math.round(link.bps), ratio: link.ratio } });
}

/** Bytes one push may carry: about TARGET_MS of the link, within the server's limit. */
export function budget(link, maxBody) {
  return Math.max(MIN_BUDGET, Math.min(Math.floor(maxBody * 0.9), Math.floor((link.bps * TARGET_MS) / 1000)));
}

/** How long to wait for the answer to a push of `bytes`. */
export function timeout(link, bytes) {
  return Math.min(MAX_TIMEOUT_MS, Math.round(BASE_TIMEOUT_MS + (SLACK * bytes * 1000) / link.bps));
}

/** A push of `bytes` was answered after `ms`. */
export function answered(link, bytes, ms) {
  // The time includes the round trip and the server's work, so the rate seen is a lower
  // bound of the link's: it may always raise the estimate, but lowers it only when the
  // body was large enough for its transfer to dominate.
  const rate = (bytes * 1000) / Math.max(ms, 1);
  if (rate <= link.bps && bytes < TRUSTED_BYTES) return link;
  return { ...link, bps: Math.max(MIN_BPS, (link.bps + rate) / 2) };
}

/** A push of `bytes` got no answer within `ms` (our time-out, or the connection was cut). */
export function failed(link, bytes, ms) {
  // It did not get through in `ms`, so the link carries less than bytes / ms, whatever
  // was thought: take half of that, so the next push fits well inside its time-out.
  const bound = (bytes * 1000) / Math.max(ms, 1);
  return { ...link, bps: Math.max(MIN_BPS, Math.min(link.bps, bound) / 2) };
}

/** gzip's ratio on this phone's entries, learnt from the last body compressed. */
export function compressed(link, encoded) {
  return encoded.gzip && encoded.raw ? { ...link, ratio: encoded.bytes / encoded.raw } : link;
}
