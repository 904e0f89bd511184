// The ESLint (flat config) setup for linting Contrail's schema with @graphql-eslint: its
// `schema-recommended` and Relay (`schema-relay`) rules, with the project's few exceptions, each
// saying why. eslint.mjs lints the schema the server serves with it.

import graphql from "@graphql-eslint/eslint-plugin";

/** The rules as @graphql-eslint ships them: schema-recommended plus the four Relay rules. */
export const recommendedRules = {
  ...graphql.configs["flat/schema-recommended"].rules,
  ...graphql.configs["flat/schema-relay"].rules,
};

/** Where Contrail departs from them. */
export const exceptions = {
  // Plain lists are part of the contract (SPEC §6: aircraftModels, listings, a connection's
  // `nodes` shortcut, a payment's events): short, complete lists that are not pages.
  "@graphql-eslint/relay-edge-types": ["error", { listTypeCanWrapOnlyEdgeType: false }],
  // Only objects with an identity have a global id (SPEC §11); connections, edges, mutation
  // payloads and these value objects have none of their own.
  "@graphql-eslint/strict-id-in-types": [
    "error",
    {
      acceptedIdNames: ["id"],
      acceptedIdTypes: ["ID"],
      exceptions: {
        suffixes: ["Connection", "Edge", "Payload"],
        types: [
          "Allocation",
          "CertifiedFlight",
          "FlightLeg",
          "FuelBurnSource",
          "Methodology",
          "Money",
          "NonCo2Effect",
          "OffsetOption",
          "PageInfo",
          "PaymentEvent",
          "Uncertainty",
        ],
      },
    },
  ],
};

/**
 * SPEC §11's description rule, stricter than schema-recommended's (types and root fields; and
 * @graphql-eslint 4.4's `rootField` matches nothing in a schema with two or more root types):
 * every type, field, argument, input field and enum value. Counted for information only, as
 * tests/api/schema.rs already enforces it.
 */
export const specDescriptions = {
  "@graphql-eslint/require-description": [
    "error",
    {
      types: true,
      DirectiveDefinition: true,
      FieldDefinition: true,
      InputValueDefinition: true,
      EnumValueDefinition: true,
    },
  ],
};

/**
 * A flat config linting `*.graphql` files as the schema at `schemaPath`: `rules` is "recommended"
 * (as shipped), "project" (with the exceptions above) or "spec" (the description rule only).
 */
export function schemaLintConfig(schemaPath, rules = "project") {
  return [
    {
      files: ["**/*.graphql"],
      languageOptions: {
        parser: graphql.parser,
        parserOptions: { graphQLConfig: { schema: schemaPath } },
      },
      plugins: { "@graphql-eslint": graphql },
      rules: {
        recommended: recommendedRules,
        project: { ...recommendedRules, ...exceptions },
        spec: specDescriptions,
      }[rules],
    },
  ];
}
