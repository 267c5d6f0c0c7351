// Times the reference comparator, @pactflow/openapi-pact-comparator, on the benchmark's
// inputs (openapi.json: 300 paths, 452 schemas; pact.json: 300 interactions) as
// treatybench/main.go times Treaty. run.sh runs both, alternately, and prints the figures.
//
//   node bench.mjs cold          one cold comparison, in this fresh process: JSON.parse of
//                                both files' text, new Comparator, compare (which compiles
//                                the document's schemas on first use)
//   node bench.mjs warm W N      W comparisons to warm up (the JIT too), then N timed ones,
//                                with the same Comparator and the parsed pact
//
// OPC_DIR names the directory whose node_modules holds the comparator (default: the current
// directory). It prints one JSON line: {"findings": n, "ms": [samples]}.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.env.OPC_DIR || process.cwd(), "noop.js"));
const { Comparator } = require("@pactflow/openapi-pact-comparator");

const oasText = fs.readFileSync(path.join(here, "openapi.json"), "utf8");
const pactText = fs.readFileSync(path.join(here, "pact.json"), "utf8");

async function findings(comparator, pact) {
  let n = 0;
  for await (const _ of comparator.compare(pact)) n++;
  return n;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const [mode, warmup, samples] = process.argv.slice(2);
const ms = [];
let n = 0;
if (mode === "cold") {
  const start = now();
  const comparator = new Comparator({ oas: JSON.parse(oasText) });
  n = await findings(comparator, JSON.parse(pactText));
  ms.push(now() - start);
} else if (mode === "warm" && Number(warmup) >= 0 && Number(samples) >= 1) {
  const comparator = new Comparator({ oas: JSON.parse(oasText) });
  const pact = JSON.parse(pactText);
  for (let i = 0; i < Number(warmup); i++) await findings(comparator, pact);
  for (let i = 0; i < Number(samples); i++) {
    const start = now();
    n = await findings(comparator, pact);
    ms.push(now() - start);
  }
} else {
  console.error("usage: node bench.mjs cold | warm WARMUP SAMPLES");
  process.exit(2);
}
console.log(JSON.stringify({ findings: n, ms }));
