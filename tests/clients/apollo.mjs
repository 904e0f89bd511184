// Apollo Client 4 against Contrail: InMemoryCache normalises objects by __typename and id (one
// entry per aircraft, whichever query fetched it, updated by a mutation's answer), and
// relayStylePagination() merges the pages of Query.emissions, forwards (first/after) and
// backwards (last/before), every item once and in order.
//
// usage: node apollo.mjs <graphql url> <api key>
// Needs organization data: at least two aircraft and several pages (> 3) of emissions.

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";

import { args, check, equal, ok, recordingFetch, run } from "./lib.mjs";

const [url, key] = args("<graphql url> <api key>");
const PAGE_SIZE = 3;

function client(fetch) {
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers: { authorization: `Bearer ${key}` }, fetch }),
    cache: new InMemoryCache({
      typePolicies: {
        Query: {
          fields: {
            emissions: relayStylePagination(["filter"]),
            fleet: relayStylePagination(["includeArchived"]),
          },
        },
      },
    }),
  });
}

const FLEET = gql`
  query Fleet {
    fleet(first: 100) {
      edges { cursor node { id tailNumber model { id code } } }
      pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
    }
  }
`;
const AIRCRAFT = gql`
  query Aircraft($tail: String!) {
    aircraft(tailNumber: $tail) { id tailNumber fuelType model { id code } }
  }
`;
const UPDATE = gql`
  mutation ChangeModel($input: UpdateAircraftInput!) {
    updateAircraft(input: $input) { aircraft { id tailNumber model { id code } } }
  }
`;

async function normalisation() {
  const apollo = client(fetch);
  const fleet = (await apollo.query({ query: FLEET })).data.fleet;
  check(fleet.edges.length >= 2, `the fleet query answered ${fleet.edges.length} aircraft`);
  const first = fleet.edges[0].node;
  const single = (await apollo.query({ query: AIRCRAFT, variables: { tail: first.tailNumber } })).data
    .aircraft;
  equal(single.id, first.id, "both queries fetched the same aircraft");

  const cacheId = apollo.cache.identify(single);
  equal(cacheId, `Aircraft:${first.id}`, "the cache identifies it by __typename and id");
  const entries = Object.keys(apollo.cache.extract()).filter((id) => id.startsWith("Aircraft:"));
  equal(
    entries.filter((id) => id === cacheId).length,
    1,
    "the cache holds one entry for it, shared by both queries",
  );
  equal(entries.length, fleet.edges.length, "one cache entry per aircraft");
  const stored = apollo.cache.extract()[cacheId];
  equal(stored.fuelType, single.fuelType, "the entry merged the fields of both queries");

  const newModel = first.model.code === "C25C" ? "E55P" : "C25C";
  const updated = (
    await apollo.mutate({ mutation: UPDATE, variables: { input: { id: first.id, modelCode: newModel } } })
  ).data.updateAircraft.aircraft;
  equal(updated.model.code, newModel, "the mutation changed the aircraft's model");
  const fleetAfter = apollo.readQuery({ query: FLEET }).fleet.edges[0].node;
  equal(fleetAfter.model.code, newModel, "the fleet query's cached result shows the mutation's answer");
  const singleAfter = apollo.readQuery({ query: AIRCRAFT, variables: { tail: first.tailNumber } }).aircraft;
  equal(singleAfter.model.code, newModel, "the aircraft query's cached result shows it too");
  // Put it back for the other checks.
  await apollo.mutate({ mutation: UPDATE, variables: { input: { id: first.id, modelCode: first.model.code } } });
}

const EMISSIONS = gql`
  query Emissions($first: Int, $after: String, $last: Int, $before: String) {
    emissions(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id departedAt co2Kg } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

/** Pages through Query.emissions with fetchMore, in `direction`, and checks the merged list. */
async function page(direction, expected) {
  const recorder = recordingFetch();
  const apollo = client(recorder);
  const forwards = direction === "forwards";
  const variables = forwards ? { first: PAGE_SIZE } : { last: PAGE_SIZE };
  const watched = apollo.watchQuery({ query: EMISSIONS, variables });
  // Each complete result the watched query shows, as an application would render it.
  const shown = [];
  let failed = null;
  const subscription = watched.subscribe({
    next: (result) => result.dataState === "complete" && shown.push(result),
    error: (error) => {
      failed = error;
    },
  });
  const nextShown = async (count) => {
    const deadline = Date.now() + 10_000;
    while (shown.length < count) {
      if (failed) throw failed;
      if (Date.now() > deadline) throw new Error(`${direction}: the watched query showed no result ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return shown[count - 1];
  };
  try {
    let result = await nextShown(1);
    let pages = 1;
    for (;;) {
      const { pageInfo, edges } = result.data.emissions;
      const more = forwards ? pageInfo.hasNextPage : pageInfo.hasPreviousPage;
      if (!more) break;
      check(pages < Math.ceil(expected.length / PAGE_SIZE), `${direction}: page ${pages} says there is more`);
      await watched.fetchMore({
        variables: forwards
          ? { first: PAGE_SIZE, after: pageInfo.endCursor }
          : { last: PAGE_SIZE, before: pageInfo.startCursor },
      });
      pages += 1;
      result = await nextShown(shown.length + 1);
      check(
        result.data.emissions.edges.length > edges.length,
        `${direction}: page ${pages} merged (${result.data.emissions.edges.length} items)`,
      );
    }
    const ids = result.data.emissions.edges.map((edge) => edge.node.id);
    equal(pages, Math.ceil(expected.length / PAGE_SIZE), `${direction}: pages fetched`);
    equal(recorder.requests.length, pages, `${direction}: one request per page`);
    equal(new Set(ids).size, ids.length, `${direction}: every item once`);
    equal(ids, expected, `${direction}: all ${expected.length} items, in list order`);
    const cached = apollo.readQuery({ query: EMISSIONS, variables }).emissions;
    equal(
      cached.edges.map((edge) => edge.node.id),
      expected,
      `${direction}: the cache holds the merged list`,
    );
    equal(
      [cached.pageInfo.hasPreviousPage, cached.pageInfo.hasNextPage],
      [false, false],
      `${direction}: the merged pageInfo says there is nothing more either way`,
    );
    console.log(`PAGES ${direction} ${pages} ITEMS ${ids.length}`);
  } finally {
    subscription.unsubscribe();
  }
}

run(async () => {
  await normalisation();
  const all = (await ok(url, key, "{ emissions(first: 100) { edges { node { id } } } }")).emissions.edges.map(
    (edge) => edge.node.id,
  );
  check(all.length > PAGE_SIZE, `${all.length} emissions to page through, ${PAGE_SIZE} a page`);
  await page("forwards", all);
  await page("backwards", all);
});
