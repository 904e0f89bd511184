// GraphQL Code Generator (@graphql-codegen/cli) loads the schema from the live server (by
// introspection, with the API key) and generates TypeScript types for it and for a document
// validated against it; tsc then compiles them.
//
// usage: node codegen.mjs <graphql url> <api key> <output directory>

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { generate } from "@graphql-codegen/cli";

import { args, check, run } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const [url, key, output] = args("<graphql url> <api key> <output directory>", 3);

const DOCUMENT = `
query CodegenEmissions($first: Int, $after: String) {
  emissions(first: $first, after: $after) {
    totalCount
    edges { cursor node { id co2Kg netCo2Kg offsetStatus aircraft { tailNumber } } }
    pageInfo { hasNextPage endCursor }
  }
}

mutation CodegenEstimate($input: EstimateEmissionInput!) {
  estimateEmission(input: $input) { estimate { id co2Kg offsetOptions { percentage price { amount currency } } } }
}
`;

run(async () => {
  const out = resolve(output);
  mkdirSync(out, { recursive: true });
  const documents = join(out, "operations.graphql");
  writeFileSync(documents, DOCUMENT);
  const schemaTypes = join(out, "schema.ts");
  const operationTypes = join(out, "operations.ts");
  const config = { scalars: { DateTime: "string", Decimal: "string" }, enumsAsTypes: true };
  const files = await generate(
    {
      schema: { [url]: { headers: { Authorization: `Bearer ${key}` } } },
      documents: [documents],
      generates: {
        // The whole schema's types, and (typescript-operations writes the enums and inputs they
        // use itself) the operations' own.
        [schemaTypes]: { plugins: ["typescript"], config },
        [operationTypes]: { plugins: ["typescript-operations"], config },
      },
      // Plugins from this package, whichever directory the script runs from.
      pluginLoader: (name) => import(name),
      silent: true,
      errorsOnly: true,
    },
    true,
  );
  for (const target of [schemaTypes, operationTypes]) {
    check(files.some((file) => file.filename === target), `generated ${target}`);
  }
  const expectations = {
    [schemaTypes]: [
      "export type Emission = Node & {",
      "export type EmissionConnection = {",
      "export type PageInfo = {",
      "export type OffsetStatus =",
      "export type Node = {",
      "export type QueryEmissionsArgs = {",
    ],
    [operationTypes]: [
      "export type CodegenEmissionsQuery = {",
      "export type CodegenEmissionsQueryVariables = Exact<{",
      "export type CodegenEstimateMutation = {",
      "export type EstimateEmissionInput = {",
    ],
  };
  for (const [target, expected] of Object.entries(expectations)) {
    const types = readFileSync(target, "utf8");
    for (const text of expected) check(types.includes(text), `${basename(target)} holds \`${text}\``);
    console.log(`LINES ${basename(target)} ${types.split("\n").length}`);
  }

  // The generated TypeScript compiles, strictly.
  const tsc = spawnSync(
    process.execPath,
    [join(here, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--target", "es2022", schemaTypes, operationTypes],
    // From the output directory, so that no unrelated @types package is loaded.
    { cwd: out, encoding: "utf8" },
  );
  check(tsc.status === 0, "tsc --strict accepts the generated types", tsc.stdout + tsc.stderr);
});
