// urql (@urql/core) against Contrail: with `preferGetMethod` a query goes as a GET and a mutation
// as a POST; the document cache refetches a query whose types a mutation's answer touched.
//
// usage: node urql.mjs <graphql url> <api key>

import { Client, cacheExchange, fetchExchange, gql } from "@urql/core";

import { args, check, equal, recordingFetch, run, sent } from "./lib.mjs";

const [url, key] = args("<graphql url> <api key>");

const FLEET = gql`
  query UrqlFleet {
    fleet(first: 100) { totalCount nodes { id tailNumber } }
  }
`;
const REGISTER = gql`
  mutation UrqlRegister($input: RegisterAircraftInput!) {
    registerAircraft(input: $input) { aircraft { id tailNumber model { code } } }
  }
`;

run(async () => {
  const recorder = recordingFetch();
  const urql = new Client({
    url,
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: true,
    fetch: recorder,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${key}` } }),
  });

  const before = await urql.query(FLEET, {}).toPromise();
  check(!before.error, "the query ran", before.error?.message);
  const count = before.data.fleet.totalCount;
  equal(recorder.requests.length, 1, "one request for the query");
  const [query] = recorder.requests;
  equal(query.method, "GET", "the query went as a GET");
  check(sent(query).query?.includes("UrqlFleet"), "with the document in the URL");
  equal(query.status, 200, "answered 200");

  const cached = await urql.query(FLEET, {}).toPromise();
  equal(cached.data.fleet.totalCount, count, "the same query again");
  equal(recorder.requests.length, 1, "came from urql's document cache");

  const tail = `N${Math.floor(Math.random() * 9000 + 1000)}U`;
  const registered = await urql.mutation(REGISTER, { input: { tailNumber: tail, modelCode: "E55P" } }).toPromise();
  check(!registered.error, "the mutation ran", registered.error?.message);
  equal(registered.data.registerAircraft.aircraft.tailNumber, tail, "it registered the aircraft");
  equal(recorder.requests.length, 2, "one request for the mutation");
  const mutation = recorder.requests[1];
  equal(mutation.method, "POST", "the mutation went as a POST");
  equal(sent(mutation).variables, { input: { tailNumber: tail, modelCode: "E55P" } }, "with its variables in the body");

  // The answer holds an Aircraft, so the cached fleet query (which holds Aircraft) is stale:
  // urql refetches it, and the new aircraft shows.
  const after = await urql.query(FLEET, {}).toPromise();
  equal(recorder.requests.length, 3, "after the mutation the fleet query was fetched again");
  equal(recorder.requests[2].method, "GET", "as a GET");
  equal(after.data.fleet.totalCount, count + 1, "and shows the new aircraft");
  check(
    after.data.fleet.nodes.some((aircraft) => aircraft.tailNumber === tail),
    `${tail} is in the fleet`,
  );
});
