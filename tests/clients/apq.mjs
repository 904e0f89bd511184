// Apollo's automatic persisted queries (@apollo/client/link/persisted-queries) against Contrail:
// on a cold server the link sends the hash alone, is told `PersistedQueryNotFound`, and sends the
// document with it; once warm, another client's fresh link runs the query by its hash alone.
// The same by GET (`useGETForHashedQueries`), where mutations still go by POST. A wrapped fetch
// records what really went over the wire.
//
// usage: node apq.mjs <graphql url> <api key>
// Needs organization data: at least one aircraft.

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { print } from "@apollo/client/utilities";

import { args, check, equal, ok, recordingFetch, run, sent, sha256 } from "./lib.mjs";

const [url, key] = args("<graphql url> <api key>");
// Unique per run, so the documents are cold even on a server that ran this script before.
const run_id = `r${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;

function client({ useGETForHashedQueries = false } = {}) {
  const recorder = recordingFetch();
  const persisted = new PersistedQueryLink({ sha256, useGETForHashedQueries });
  const http = new HttpLink({ uri: url, headers: { authorization: `Bearer ${key}` }, fetch: recorder });
  const apollo = new ApolloClient({
    link: persisted.concat(http),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: "network-only" } },
  });
  return { apollo, requests: recorder.requests };
}

/** What each recorded request carried: method, whether a query, and the hash. */
function describe(requests) {
  return requests.map((request) => {
    const params = sent(request);
    return {
      method: request.method,
      query: typeof params.query === "string",
      hash: params.extensions?.persistedQuery?.sha256Hash ?? null,
    };
  });
}

/** The hash of the document a cold round trip sent (the cache adds `__typename` to it). */
function sentHash(requests) {
  const withQuery = requests.map(sent).find((params) => typeof params.query === "string");
  check(withQuery !== undefined, "the link sent the document once told the hash is unknown", describe(requests));
  return sha256(withQuery.query);
}

function checkNotFound(request, what) {
  const error = request.answer?.errors?.[0];
  equal(error?.message, "PersistedQueryNotFound", `${what}: the cold hash is answered "PersistedQueryNotFound"`);
  equal(
    error?.extensions?.code,
    "PERSISTED_QUERY_NOT_FOUND",
    `${what}: with extensions.code PERSISTED_QUERY_NOT_FOUND`,
  );
  check(request.answer?.data == null, `${what}: and no data`, request.answer);
}

async function roundTrip(method) {
  const get = method === "GET";
  const document = gql(`query Fleet_${method}_${run_id} { fleet(first: 10) { totalCount nodes { id tailNumber } } }`);
  const expected = (await ok(url, key, print(document))).fleet;

  const cold = client({ useGETForHashedQueries: get });
  const first = (await cold.apollo.query({ query: document })).data.fleet;
  equal(first.totalCount, expected.totalCount, `${method} cold: the query ran`);
  const hash = sentHash(cold.requests);
  equal(
    describe(cold.requests),
    [
      { method, query: false, hash },
      { method: "POST", query: true, hash },
    ],
    `${method} cold: the hash alone, then the hash with the document (by POST)`,
  );
  checkNotFound(cold.requests[0], `${method} cold`);

  const warm = client({ useGETForHashedQueries: get });
  const again = (await warm.apollo.query({ query: document })).data.fleet;
  equal(again, first, `${method} warm: a fresh client's query ran`);
  equal(describe(warm.requests), [{ method, query: false, hash }], `${method} warm: by its hash alone`);
  equal(warm.requests[0].status, 200, `${method} warm: answered 200`);
}

async function mutationByPost() {
  const tail = (await ok(url, key, "{ fleet(first: 1) { nodes { tailNumber } } }")).fleet.nodes[0]?.tailNumber;
  check(tail !== undefined, "an aircraft to estimate a flight for");
  const document = gql(`mutation Estimate_${run_id}($tail: String!) {
    estimateEmission(input: { tailNumber: $tail, durationMinutes: 90 }) { estimate { id co2Kg } }
  }`);
  let hash;
  for (const round of ["cold", "warm"]) {
    const { apollo, requests } = client({ useGETForHashedQueries: true });
    const estimate = (await apollo.mutate({ mutation: document, variables: { tail } })).data.estimateEmission.estimate;
    hash ??= sentHash(requests);
    check(typeof estimate.co2Kg === "string", `mutation ${round}: it ran (${estimate.co2Kg} kg CO2)`);
    const expected =
      round === "cold"
        ? [
            { method: "POST", query: false, hash },
            { method: "POST", query: true, hash },
          ]
        : [{ method: "POST", query: false, hash }];
    equal(describe(requests), expected, `mutation ${round}: by POST even with useGETForHashedQueries`);
    if (round === "cold") checkNotFound(requests[0], "mutation cold");
  }
}

run(async () => {
  await roundTrip("POST");
  await roundTrip("GET");
  await mutationByPost();
});
