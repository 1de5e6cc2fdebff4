// Parses Mermaid diagrams with the npm mermaid package, as a browser would
// before rendering them, and reports what it understood.
//
// Input (stdin): a JSON array of diagram texts.
// Output (stdout): a JSON array, one object per diagram:
//   {"ok": true, "diagramType": "flowchart-v2", "config": {...},
//    "nodes": [{"id": "n0", "text": "..."}], "edges": [{"start": "n0", "end": "n1", "text": "..."}]}
//   {"ok": false, "error": "Parse error on line 2: ..."}
// "config" is what directives (%%{init: ...}%%) and front matter set; texts have
// Mermaid's #<code>; entities decoded, as they would render.
//
// The packages come from MERMAID_NODE_MODULES, else .tools/node_modules (where
// scripts/node-tools.sh installs the pinned mermaid and jsdom). mermaid.parse
// needs a DOM (DOMPurify), which jsdom provides.
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const modules = process.env.MERMAID_NODE_MODULES ||
  join(dirname(fileURLToPath(import.meta.url)), '..', '.tools', 'node_modules');
const require = createRequire(join(modules, 'noop.js'));

const { JSDOM } = require('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve('mermaid')).href);
mermaid.initialize({ startOnLoad: false });

// decode turns Mermaid's entity placeholders (what its encodeEntities made of
// #<code>; and #<name>;) back into characters.
function decode(text) {
  return String(text ?? '')
    .replace(/\uFB02\u00B0\u00B0(\d+)\u00B6\u00DF/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/\uFB02\u00B0(\w+)\u00B6\u00DF/g, (_, name) => dom.window.document.createRange()
      .createContextualFragment(`&${name};`).textContent);
}

async function check(text) {
  try {
    const { diagramType, config } = await mermaid.parse(text);
    const out = { ok: true, diagramType, config, nodes: [], edges: [] };
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    if (typeof db.getVertices === 'function') {
      for (const v of db.getVertices().values()) out.nodes.push({ id: v.id, text: decode(v.text) });
      for (const e of db.getEdges()) out.edges.push({ start: e.start, end: e.end, text: decode(e.text) });
    }
    return out;
  } catch (err) {
    return { ok: false, error: String(err?.message ?? err) };
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const diagrams = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for (const d of diagrams) results.push(await check(d));
process.stdout.write(JSON.stringify(results) + '\n');
