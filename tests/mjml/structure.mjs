// Compares what Tessera made of an MJML template with what mjml 5.1 makes of it, by structure
// rather than bytes: the visible text, the images and the links, in order. (The two write
// different markup around them: MSO tables, class names, whitespace.)
//   node tests/mjml/structure.mjs TEMPLATE.mjml OURS.html   → prints {"same": …, "differences": […]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(fileURLToPath(new URL("../../ui/package.json", import.meta.url)));
const mjml2html = require("mjml");

const ENTITIES = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", copy: "©", reg: "®", trade: "™", hellip: "…",
  mdash: "—", ndash: "–", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", laquo: "«", raquo: "»", middot: "·",
  bull: "•", euro: "€", pound: "£", yen: "¥", times: "×", deg: "°", zwnj: "\u200c", shy: "\u00ad",
};
const decode = (s) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) =>
    e[0] === "#" ? String.fromCodePoint(e[1].toLowerCase() === "x" ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e.toLowerCase()] ?? m));

function structure(html) {
  const body = html
    .replace(/<!--\[if[\s\S]*?<!\[endif\]-->/gi, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<head[\s\S]*?<\/head>/i, "")
    .replace(/<style[\s\S]*?<\/style>/gi, "");
  const attribute = (tag, name) =>
    [...body.matchAll(new RegExp(`<${tag}\\b[^>]*?\\s${name}="([^"]*)"`, "gi"))].map((m) => decode(m[1]).trim()).filter(Boolean);
  const text = decode(body.replace(/<[^>]*>/g, " ")).split(/\s+/).filter(Boolean);
  return { text, images: attribute("img", "src"), links: attribute("a", "href") };
}

const [template, ours] = process.argv.slice(2);
const theirs = await mjml2html(readFileSync(template, "utf8"), { validationLevel: "skip", filePath: template });
const a = structure(readFileSync(ours, "utf8"));
const b = structure(theirs.html);
const differences = [];
for (const key of ["text", "images", "links"]) {
  const n = Math.max(a[key].length, b[key].length);
  for (let i = 0; i < n; i++) {
    if (a[key][i] !== b[key][i]) {
      differences.push({ what: key, at: i, tessera: a[key].slice(i, i + 6).join(" "), mjml: b[key].slice(i, i + 6).join(" ") });
      break;
    }
  }
}
console.log(JSON.stringify({ same: differences.length === 0, differences }));
