// Runs the reference comparator (@pactflow/openapi-pact-comparator) on corpus cases and
// prints, as JSON, each case's findings as "INTERACTION TYPE CODE" strings, sorted and
// unique. Usage: node compare.mjs CASE_DIR... (QUIRKS=1 in the environment for PactFlow's
// profile). reference-compare.sh runs it.
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { Comparator } from "@pactflow/openapi-pact-comparator";

const out = {};
for (const dir of process.argv.slice(2)) {
  const name = path.basename(dir);
  const specFile = ["openapi.yaml", "openapi.json"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  try {
    const oas = yaml.load(fs.readFileSync(specFile, "utf8"));
    const pact = JSON.parse(fs.readFileSync(path.join(dir, "pact.json"), "utf8"));
    const codes = new Set();
    const comparator = new Comparator({ oas });
    for await (const r of comparator.compare(pact)) {
      const m = /interactions\[(\d+)\]/.exec(r.mockDetails?.location || "");
      codes.add(`${m ? m[1] : "-"} ${r.type} ${r.code}`);
    }
    out[name] = [...codes].sort();
  } catch (e) {
    out[name] = [`crash ${e.message}`];
  }
}
console.log(JSON.stringify(out, null, 1));
