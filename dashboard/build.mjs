// Builds the site into build/dashboard: index.html at the root, every other file under
// assets/<content hash>/ so it can be cached for a year while index.html is always revalidated.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const out = process.env.DASHBOARD_OUT || join(here, "..", "build", "dashboard");
const chartDir = join(here, "node_modules", "chart.js", "dist");
const vendor = ["chart.umd.min.js", "chart.umd.min.js.map"];

const sources = readdirSync(src).filter((name) => name !== "index.html").sort();
const hash = createHash("sha256");
for (const name of sources) hash.update(name).update(readFileSync(join(src, name)));
for (const name of vendor) hash.update(name).update(readFileSync(join(chartDir, name)));
const assets = `/assets/${hash.digest("hex").slice(0, 12)}`;

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, assets), { recursive: true });
for (const name of sources) copyFileSync(join(src, name), join(out, assets, name));
for (const name of vendor) copyFileSync(join(chartDir, name), join(out, assets, name));
const index = readFileSync(join(src, "index.html"), "utf8").replaceAll("%ASSETS%", assets);
writeFileSync(join(out, "index.html"), index);
console.log(`dashboard built into ${out} (assets ${assets})`);
