// Times the reference comparator, @pactflow/openapi-pact-comparator, on the benchmark's
// inputs (openapi.json: 300 paths, 452 schemas; pact.json: 300 interactions), as
// BenchmarkCompare times Treaty: cold (a new Comparator, so its schemas are compiled) and
// warm (the same Comparator again). Run it where the package is installed:
//
//   npm install @pactflow/openapi-pact-comparator@2.3.1   # in a scratch directory
//   NODE_PATH=$PWD/node_modules node --experimental-default-type=module bench.mjs
//
// or with OPC_DIR naming that scratch directory: node bench.mjs
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(process.env.OPC_DIR || process.cwd(), "noop.js"));
const { Comparator } = require("@pactflow/openapi-pact-comparator");

const oasText = fs.readFileSync(path.join(here, "openapi.json"), "utf8");
const pactText = fs.readFileSync(path.join(here, "pact.json"), "utf8");

async function run(comparator, pact) {
  let n = 0;
  for await (const _ of comparator.compare(pact)) n++;
  return n;
}

const rounds = Number(process.env.ROUNDS || 5);
const cold = [];
const warm = [];
let findings = 0;
for (let i = 0; i < rounds; i++) {
  let t = process.hrtime.bigint();
  // Cold includes parsing the inputs, as Treaty's cold run includes Load and ParsePact.
  const comparator = new Comparator({ oas: JSON.parse(oasText) });
  findings = await run(comparator, JSON.parse(pactText));
  cold.push(Number(process.hrtime.bigint() - t) / 1e6);
  const pact = JSON.parse(pactText);
  t = process.hrtime.bigint();
  await run(comparator, pact);
  warm.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(JSON.stringify({ findings, coldMs: median(cold), warmMs: median(warm), cold, warm }));
