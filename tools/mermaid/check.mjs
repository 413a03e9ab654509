// Parse mermaid diagrams with mermaid's own parser, as GitHub's renderer would.
// Usage: node tools/mermaid/check.mjs FILE...   (FILE "-" reads stdin; a .md file is checked
// block by block: every ```mermaid fence). Prints one line per diagram; exit 1 on any error.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

function diagrams(name, text) {
  if (!name.endsWith(".md")) return [[name, text]];
  const found = [];
  const fence = /^```mermaid\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text), i = 1; m; m = fence.exec(text), i++) found.push([`${name}#${i}`, m[1]]);
  return found;
}

let failed = 0;
let checked = 0;
for (const name of process.argv.slice(2)) {
  const text = readFileSync(name === "-" ? 0 : name, "utf8");
  for (const [label, diagram] of diagrams(name, text)) {
    checked++;
    try {
      const result = await mermaid.parse(diagram);
      console.log(`ok ${label}: ${result.diagramType}`);
    } catch (error) {
      failed++;
      console.log(`error ${label}: ${String(error.message ?? error).split("\n").join(" | ")}`);
    }
  }
}
if (checked === 0) {
  console.log("error: no mermaid diagram found");
  process.exit(1);
}
process.exit(failed ? 1 : 0);
