// Builds the Control UI into server/controlui/assets (committed, embedded by go:embed).
// Deterministic: same sources and lockfile → same bytes. `node build.mjs --out DIR`
// writes elsewhere (ui-check compares that with the committed bundle).
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf("--out");
const out = resolve(i >= 0 ? process.argv[i + 1] : join(here, "../server/controlui/assets"));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [join(here, "src/main.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
});
for (const f of ["index.html", "style.css"]) copyFileSync(join(here, "static", f), join(out, f));
