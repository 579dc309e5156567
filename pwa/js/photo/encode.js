// Shrinking a photo on the phone, before it is kept: a 12-megapixel camera file (4–8 MB)
// becomes ≤ 1,600 px on its longest side and, typically, ≤ 250 KB, so the phone's storage
// holds hundreds and a 2G link sends one in under a minute. The browser decodes it with the
// camera's EXIF orientation applied (createImageBitmap, "from-image"), draws it smaller on a
// canvas and encodes it again: the new file carries no EXIF at all (no GPS position either).
// Loaded only when a photo is added (dynamic import): no cost to the first visit.

export const MAX_SIDE = 1600;
export const THUMB_SIDE = 320;
export const TARGET_BYTES = 250 * 1024;
// Tried in order until the file fits TARGET_BYTES; below the last, the picture suffers
// more than the link gains, so it is kept at that quality even if larger.
const QUALITIES = [0.82, 0.72, 0.62, 0.5];

/** WebP where the browser can encode it (about a quarter smaller than JPEG), else JPEG. */
let preferred = null;
async function preferredType() {
  if (!preferred) {
    const canvas = canvasOf(2, 2);
    canvas.getContext("2d").fillRect(0, 0, 2, 2);
    const probe = await encodeCanvas(canvas, "image/webp", 0.8);
    preferred = probe.type === "image/webp" ? "image/webp" : "image/jpeg";
  }
  return preferred;
}

function canvasOf(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function encodeCanvas(canvas, type, quality) {
  if (typeof canvas.convertToBlob === "function") return canvas.convertToBlob({ type, quality });
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), type, quality);
  });
}

function draw(bitmap, longest) {
  const scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = canvasOf(width, height);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  // A transparent PNG would turn black in a JPEG: white behind it, as on paper.
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0, width, height);
  return canvas;
}

/** Lowercase hex SHA-256 of `blob`'s bytes: what the server checks the upload against. */
export async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The picture is not one the browser can read (a PDF, a HEIC file on a browser without HEIC). */
export class NotAnImage extends Error {}

/**
 * `file` (from the camera or the gallery) shrunk and encoded again: {blob, type, width,
 * height, sha256, size, thumb}. `thumb` is a small JPEG for the screens.
 */
export async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (err) {
    throw new NotAnImage(String((err && err.message) || err));
  }
  try {
    const type = await preferredType();
    const canvas = draw(bitmap, MAX_SIDE);
    let blob = null;
    for (const quality of QUALITIES) {
      blob = await encodeCanvas(canvas, type, quality);
      if (blob.size <= TARGET_BYTES) break;
    }
    const thumb = await encodeCanvas(draw(bitmap, THUMB_SIDE), "image/jpeg", 0.7);
    return {
      blob,
      type: blob.type,
      width: canvas.width,
      height: canvas.height,
      size: blob.size,
      sha256: await sha256(blob),
      thumb,
    };
  } finally {
    bitmap.close();
  }
}
