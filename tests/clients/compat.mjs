// graphql-js's own judgement of a schema change: every change `findBreakingChanges` and
// `findDangerousChanges` report between the schema clients were built against and the schema
// the server serves now.
//
// usage: node compat.mjs <baseline SDL file> <current SDL file>
// Prints `BREAKING <type> <description>` and `DANGEROUS <type> <description>`, one per change.

import { readFileSync } from "node:fs";

import { buildSchema, findBreakingChanges, findDangerousChanges } from "graphql";

import { args, run } from "./lib.mjs";

const [baseline, current] = args("<baseline SDL file> <current SDL file>", 2);

run(async () => {
  const before = buildSchema(readFileSync(baseline, "utf8"));
  const after = buildSchema(readFileSync(current, "utf8"));
  for (const change of findBreakingChanges(before, after)) {
    console.log(`BREAKING ${change.type} ${change.description}`);
  }
  for (const change of findDangerousChanges(before, after)) {
    console.log(`DANGEROUS ${change.type} ${change.description}`);
  }
});
