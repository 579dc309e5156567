// Builds the field app: pwa/ (plain ES modules, what people edit) -> build/pwa/ (what the
// server serves when it is there and no older than the sources; server/pwa.py).
//
// Why: on 2G every request costs ~800 ms. Unbundled, the worker's precache was 25 files and
// its own import graph three levels deep, so the app was offline-ready only after 11 s.
// Here the page is one entry with code splitting (ESM), so `import()` of a screen or of a
// module someone adds later still loads on demand, the worker is one file with nothing to
// import, and app.css is inlined into index.html (it blocked the first paint).
//
// shell.json lists what the app needs (the page entry and every chunk it can reach, static
// or dynamic), in two parts (decision 190): `precache`, the shell, which the worker caches
// before it installs, and `later`, the chunks reachable only through the modules of
// LATER_MODULES (the photo code), which it fetches into the same cache once it controls
// the page: on 2G each round of install fetches is another 800 ms before the app works
// offline. The split comes from esbuild's metafile (its import graph), not from file names.
// The source modules are copied too, unbundled and not precached, so
// `import("/app/js/shared/db.js")` (tests, the bench, a person debugging) still works
// online: a second instance of the module on the same IndexedDB, as the worker's own copy
// always was.
//
// To add a lazily loaded module: write it under pwa/js/ and `import()` it; nothing here
// changes.

import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "pwa");
const OUT = join(ROOT, "build", "pwa");
const TMP = `${OUT}.tmp`;
// Modules (under pwa/) the app does not need to open offline, only to show photos: their
// chunks, and any chunk reachable only through them, are fetched after install (the
// worker's LATER; server/pwa.py serves the sources the same way without a build).
const LATER_MODULES = ["js/photo/"];

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const posix = (path) => relative(SRC, path).split("\\").join("/");

// The worker imports "./js/shared/…" relative to /app/sw.js, where the server serves it;
// on disk it lives in js/sw/, so its imports are resolved from /app/ (pwa/).
const fromAppRoot = {
  name: "from-app-root",
  setup(b) {
    b.onResolve({ filter: /^\.\/js\// }, (args) => ({ path: join(SRC, args.path) }));
  },
};

async function main() {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const sources = walk(join(SRC, "js")).filter((p) => p.endsWith(".js"));
  const main = join(SRC, "js", "page", "main.js");
  const common = { absWorkingDir: ROOT, bundle: true, format: "esm", minify: true, target: "es2020", legalComments: "none", logLevel: "warning", charset: "utf8" };

  const page = await build({
    ...common,
    entryPoints: [main],
    outbase: SRC,
    outdir: TMP,
    splitting: true,
    // Every file of the page under a name made from its content: the server lets the
    // browser keep them for good (immutable), so the worker's precache finds what the page
    // has just loaded in the HTTP cache, with no round trip, and a changed file is a new name.
    entryNames: "js/chunks/[name]-[hash]",
    chunkNames: "js/chunks/[name]-[hash]",
    metafile: true,
  });
  await build({ ...common, entryPoints: [join(SRC, "js", "sw", "sw.js")], outfile: join(TMP, "js", "sw", "sw.js"), plugins: [fromAppRoot] });

  // What the app needs: main.js and every chunk reachable from it. (The metafile's paths
  // are relative to absWorkingDir; every dynamic `import()` target is an entry point too.)
  const outputs = page.metafile.outputs;
  const rel = (k) => relative(TMP, join(ROOT, k)).split("\\").join("/");
  const entry = (k) => outputs[k].entryPoint && posix(join(ROOT, outputs[k].entryPoint));
  const start = Object.keys(outputs).find((k) => entry(k) === posix(main));
  const needed = new Set();
  const staticOnly = new Set();
  const visit = (k, isStatic) => {
    if (isStatic) staticOnly.add(k);
    if (needed.has(k)) return;
    needed.add(k);
    for (const imp of outputs[k].imports) if (!imp.external) visit(imp.path, isStatic && imp.kind === "import-statement");
  };
  visit(start, true);
  staticOnly.delete(start);

  // The shell: what main.js reaches without going through a LATER_MODULES entry (the
  // chunk of a module someone `import()`s there). The rest of `needed` is reachable only
  // through one: fetched once the worker controls the page, not before it installs.
  const shellSet = new Set();
  const door = (k) => LATER_MODULES.some((dir) => (entry(k) || "").startsWith(dir));
  const reach = (k) => {
    if (shellSet.has(k) || door(k)) return;
    shellSet.add(k);
    for (const imp of outputs[k].imports) if (!imp.external) reach(imp.path);
  };
  reach(start);

  // index.html: the stylesheet inline (nothing blocks the first paint) and every chunk the
  // first screen needs asked for at once (one round trip, not one per import level).
  const css = await build({ entryPoints: [join(SRC, "app.css")], bundle: true, minify: true, write: false, logLevel: "warning", charset: "utf8" });
  let html = readFileSync(join(SRC, "index.html"), "utf8");
  html = html.replace(/ *<link rel="stylesheet" href="app.css">\n/, `  <style>${css.outputFiles[0].text.trim()}</style>\n`);
  const preload = [...staticOnly].sort().map((k) => `  <link rel="modulepreload" href="${rel(k)}">`).join("\n");
  html = html.replace("  <!-- modulepreload -->", preload);
  html = html.replace('src="js/page/main.js"', `src="${rel(start)}"`);
  writeFileSync(join(TMP, "index.html"), html);

  for (const path of sources) {
    const name = posix(path);
    if (path === main || name.startsWith("js/sw/")) continue;
    mkdirSync(dirname(join(TMP, name)), { recursive: true });
    cpSync(path, join(TMP, name));
  }
  // The rest of pwa/ as it is (manifest, icons, the stylesheet for anyone who links it).
  for (const path of walk(SRC)) {
    const name = posix(path);
    if (name.startsWith("js/") || name === "index.html" || name.startsWith(".")) continue;
    mkdirSync(dirname(join(TMP, name)), { recursive: true });
    cpSync(path, join(TMP, name));
  }
  const shell = [...shellSet].map(rel).sort();
  const later = [...needed].filter((k) => !shellSet.has(k)).map(rel).sort();
  writeFileSync(join(TMP, "shell.json"), `${JSON.stringify({ precache: shell, later }, null, 1)}\n`);

  rmSync(OUT, { recursive: true, force: true });
  cpSync(TMP, OUT, { recursive: true });
  rmSync(TMP, { recursive: true, force: true });
  console.log(`build/pwa: ${shell.length} files precached (${shell.join(", ")}), ${later.length} after (${later.join(", ")})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
