// @graphql-eslint (ESLint 9, flat config) lints the schema the server serves, read by
// introspection and printed as SDL, with `schema-recommended` and the Relay rules
// (schema-lint.config.mjs): no error may remain. It first counts, per rule, what the rules as
// shipped report, before the project's exceptions, for the record.
//
// usage: node eslint.mjs <graphql url> <api key> <output directory> [schema file instead]
// Prints `COUNT <label> <rule> errors=N warnings=N` and `TOTAL <label> ...`, where the label is
// `spec` (SPEC §11's descriptions, for information), `before` (the rules as shipped) or `after`
// (with the project's exceptions: what must have no error).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { ESLint } from "eslint";
import { buildClientSchema, getIntrospectionQuery, printSchema } from "graphql";

import { args, check, ok, run } from "./lib.mjs";
import { schemaLintConfig } from "./schema-lint.config.mjs";

const [url, key, output, file] = args("<graphql url> <api key> <output directory> [schema file]", 3);

async function lint(directory, schemaPath, rules) {
  const eslint = new ESLint({
    cwd: directory,
    overrideConfigFile: true,
    overrideConfig: schemaLintConfig(schemaPath, rules),
  });
  const [result] = await eslint.lintFiles([schemaPath]);
  return result.messages;
}

function tally(label, messages) {
  const counts = new Map();
  for (const message of messages) {
    const rule = message.ruleId ?? "(parsing)";
    const count = counts.get(rule) ?? { errors: 0, warnings: 0 };
    count[message.severity === 2 ? "errors" : "warnings"] += 1;
    counts.set(rule, count);
  }
  for (const [rule, { errors, warnings }] of [...counts].sort()) {
    console.log(`COUNT ${label} ${rule} errors=${errors} warnings=${warnings}`);
  }
  const errors = messages.filter((message) => message.severity === 2).length;
  console.log(`TOTAL ${label} errors=${errors} warnings=${messages.length - errors}`);
  return errors;
}

run(async () => {
  const directory = resolve(output);
  mkdirSync(directory, { recursive: true });
  const schemaPath = join(directory, "schema.graphql");
  if (file) {
    writeFileSync(schemaPath, readFileSync(file, "utf8"));
    console.log(`SCHEMA ${file}`);
  } else {
    const introspection = await ok(
      url,
      key,
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }),
    );
    writeFileSync(schemaPath, `${printSchema(buildClientSchema(introspection))}\n`);
    console.log(`SCHEMA ${url} (introspection)`);
  }

  tally("spec", await lint(directory, schemaPath, "spec"));
  tally("before", await lint(directory, schemaPath, "recommended"));
  const messages = await lint(directory, schemaPath, "project");
  const errors = tally("after", messages);
  for (const message of messages) {
    console.log(`${message.severity === 2 ? "ERROR" : "WARNING"} ${message.line}:${message.column} ${message.ruleId} ${message.message.split("\n")[0]}`);
  }
  check(errors === 0, "the schema passes schema-recommended and the Relay rules", `${errors} errors`);
});
