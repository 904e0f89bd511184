// Relay (relay-runtime) runs the documents relay-compiler persisted (relay-compile.mjs) by id
// against a server that runs trusted documents only: its network layer sends
// `{ documentId, variables }`, as Relay's persisted-queries guide shows. It pages an aircraft's
// emissions forwards through the @refetchable fragment's `node(id:)` query and the organization's
// emissions backwards (last/before), both merged by Relay's connection handler, and runs the
// mutation. Then what the server must refuse: a document not in the manifest (query, mutation or
// automatic persisted query) and an unknown id; and what it must take: the manifest's documents
// by id (POST or GET), by hash, or as text.
//
// usage: node relay-run.mjs <graphql url> <api key> <manifest> <artifact directory> <tail number>
// Prints `IDS aircraft [...]` and `IDS history [...]`: the emissions Relay paged through.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import relay from "relay-runtime";

import { args, check, equal, post, run, sha256 } from "./lib.mjs";

const { Environment, Network, RecordSource, Store, commitMutation, fetchQuery, getSelector } = relay;
const [url, key, manifestPath, artifacts, tail] = args(
  "<graphql url> <api key> <manifest> <artifact directory> <tail number>",
  5,
);
const PAGE = 3;

const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const load = createRequire(join(artifacts, "index.js"));
const artifact = (name) => load(`./${name}.graphql.js`);
const ClientsQuery = artifact("ClientsQuery");
const ClientsAircraft = artifact("ClientsAircraft_aircraft");
const ClientsAircraftPagination = artifact("ClientsAircraftPaginationQuery");
const ClientsHistory = artifact("ClientsHistory_query");
const ClientsHistoryPagination = artifact("ClientsHistoryPaginationQuery");
const ClientsUpdateAircraft = artifact("ClientsUpdateAircraftMutation");

// Relay's network layer for persisted documents: the id, never the text.
const sentBodies = [];
const network = Network.create(async (params, variables) => {
  check(params.text == null && typeof params.id === "string", `Relay sends ${params.name} by id alone`);
  const body = { documentId: params.id, variables };
  sentBodies.push(body);
  const { status, body: answer } = await post(url, key, body);
  if (status !== 200 || answer.errors) {
    throw new Error(`${params.name} by documentId answered ${status}: ${JSON.stringify(answer)}`);
  }
  return answer;
});
const environment = new Environment({ network, store: new Store(new RecordSource()) });
const read = (fragment, ref) => environment.lookup(getSelector(fragment, ref)).data;

/** Checks a merged connection: every item once, as many as totalCount, oldest first. */
function checkMerged(connection, what) {
  const nodes = connection.edges.map((edge) => edge.node);
  const ids = nodes.map((node) => node.id);
  equal(new Set(ids).size, ids.length, `${what}: every emission once`);
  equal(ids.length, connection.totalCount, `${what}: all ${connection.totalCount} of them`);
  const departures = nodes.map((node) => node.departedAt);
  equal(departures, [...departures].sort(), `${what}: in list order (oldest first)`);
  console.log(`IDS ${what} ${JSON.stringify(ids)}`);
}

async function page() {
  const data = await fetchQuery(environment, ClientsQuery, { tail, count: PAGE, last: PAGE }).toPromise();
  check(data.aircraft != null, `ClientsQuery ran by id: aircraft ${tail}`);
  const fleetSize = data.fleet.totalCount;

  // Forwards, on the aircraft (a Node): the @refetchable fragment's pagination query.
  let aircraft = read(ClientsAircraft, data.aircraft);
  equal(aircraft.tailNumber, tail, "the aircraft fragment reads from Relay's store");
  let pages = 1;
  while (aircraft.emissions.pageInfo.hasNextPage) {
    check(pages * PAGE < aircraft.emissions.totalCount, `aircraft: page ${pages} says there is more`);
    await fetchQuery(environment, ClientsAircraftPagination, {
      id: aircraft.id,
      count: PAGE,
      cursor: aircraft.emissions.pageInfo.endCursor,
    }).toPromise();
    pages += 1;
    aircraft = read(ClientsAircraft, data.aircraft);
    equal(
      aircraft.emissions.edges.length,
      Math.min(pages * PAGE, aircraft.emissions.totalCount),
      `aircraft: page ${pages} merged`,
    );
  }
  equal(pages, Math.ceil(aircraft.emissions.totalCount / PAGE), `aircraft: ${pages} pages forwards`);
  checkMerged(aircraft.emissions, "aircraft");

  // Backwards, on the root connection.
  let history = read(ClientsHistory, data);
  pages = 1;
  while (history.emissions.pageInfo.hasPreviousPage) {
    check(pages * PAGE < history.emissions.totalCount, `history: page ${pages} says there is more`);
    await fetchQuery(environment, ClientsHistoryPagination, {
      last: PAGE,
      before: history.emissions.pageInfo.startCursor,
    }).toPromise();
    pages += 1;
    history = read(ClientsHistory, data);
    equal(
      history.emissions.edges.length,
      Math.min(pages * PAGE, history.emissions.totalCount),
      `history: page ${pages} merged`,
    );
  }
  equal(pages, Math.ceil(history.emissions.totalCount / PAGE), `history: ${pages} pages backwards`);
  checkMerged(history.emissions, "history");

  // The mutation, by id; its answer updates the aircraft in the store.
  const newModel = aircraft.model.code === "C25C" ? "E55P" : "C25C";
  await new Promise((resolve, reject) =>
    commitMutation(environment, {
      mutation: ClientsUpdateAircraft,
      variables: { input: { id: aircraft.id, modelCode: newModel } },
      onCompleted: (_, errors) => (errors ? reject(new Error(JSON.stringify(errors))) : resolve()),
      onError: reject,
    }),
  );
  equal(read(ClientsAircraft, data.aircraft).model.code, newModel, "the mutation ran by id; Relay's store shows its answer");
  check(
    sentBodies.every((body) => Object.keys(body).sort().join() === "documentId,variables"),
    `all ${sentBodies.length} requests carried documentId and variables only`,
  );
  return { aircraft, fleetSize, model: newModel };
}

function refused(answer, code, what) {
  equal(answer.body.errors?.[0]?.extensions?.code, code, `${what}: refused with ${code}`);
  check(answer.body.data == null, `${what}: and ran nothing`, answer.body);
}

async function trusted({ aircraft, fleetSize, model }) {
  const id = Object.keys(manifest).find((hash) => /query ClientsQuery\b/.test(manifest[hash]));
  check(id !== undefined, "ClientsQuery is in the manifest");
  const variables = { tail, count: 1, last: 1 };
  const fleet = (answer, what) => {
    check(!answer.body.errors && answer.body.data?.fleet, `${what}: ran`, answer.body);
    return answer.body.data.fleet.totalCount;
  };

  refused(await post(url, key, { query: "{ fleet { totalCount } }" }), "TRUSTED_DOCUMENT_REQUIRED", "a query not in the manifest");
  const register = `mutation { registerAircraft(input: { tailNumber: "N999TD", modelCode: "E55P" }) { aircraft { id } } }`;
  refused(await post(url, key, { query: register }), "TRUSTED_DOCUMENT_REQUIRED", "a mutation not in the manifest");
  refused(
    await post(url, key, {
      query: "{ fleet { totalCount } }",
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256("{ fleet { totalCount } }") } },
    }),
    "TRUSTED_DOCUMENT_REQUIRED",
    "an automatic persisted query not in the manifest",
  );
  refused(await post(url, key, { documentId: "0".repeat(64), variables }), "PERSISTED_DOCUMENT_NOT_FOUND", "an unknown documentId");

  equal(fleet(await post(url, key, { documentId: id, variables }), "by documentId"), fleetSize, "the mutation not in the manifest registered nothing");
  const get = new URL(url);
  get.searchParams.set("documentId", id);
  get.searchParams.set("variables", JSON.stringify(variables));
  const byGet = await fetch(get, { headers: { authorization: `Bearer ${key}`, accept: "application/json" } });
  fleet({ body: await byGet.json() }, "by documentId with GET");
  fleet(
    await post(url, key, { variables, extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
    "by its SHA-256 as a persisted query",
  );
  fleet(await post(url, key, { query: manifest[id], variables }), "as the manifest's text");

  // A mutation is never run by GET, trusted or not.
  const mutationId = Object.keys(manifest).find((hash) => /mutation ClientsUpdateAircraftMutation\b/.test(manifest[hash]));
  const other = model === "C25C" ? "E55P" : "C25C";
  const mutationGet = new URL(url);
  mutationGet.searchParams.set("documentId", mutationId);
  mutationGet.searchParams.set("variables", JSON.stringify({ input: { id: aircraft.id, modelCode: other } }));
  const answer = await fetch(mutationGet, { headers: { authorization: `Bearer ${key}`, accept: "application/json" } });
  check(answer.status !== 200 || (await answer.clone().json()).errors, `the trusted mutation by GET is refused (${answer.status})`);
  const after = await post(url, key, { documentId: id, variables });
  check(!after.body.errors, "the aircraft read back", after.body);
  equal(after.body.data.aircraft.model.code, model, "and it changed nothing");
}

run(async () => {
  const state = await page();
  await trusted(state);
});
