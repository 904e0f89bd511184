// Apollo's BatchHttpLink against Contrail: queries made together go in one HTTP POST whose body
// is a JSON array, each answered in its place; a batch over the server's limit is refused whole
// with BATCH_TOO_LARGE.
//
// usage: node batch.mjs <graphql url> <api key> [max batch, default 10]
// Needs organization data: at least two aircraft.

import { ApolloClient, InMemoryCache, gql } from "@apollo/client";
import { BatchHttpLink } from "@apollo/client/link/batch-http";

import { args, check, equal, ok, recordingFetch, run } from "./lib.mjs";

const [url, key, max = "10"] = args("<graphql url> <api key> [max batch]");
const maxBatch = Number(max);

function client(batchMax) {
  const recorder = recordingFetch();
  const link = new BatchHttpLink({
    uri: url,
    headers: { authorization: `Bearer ${key}` },
    fetch: recorder,
    batchMax,
    batchInterval: 50,
  });
  const apollo = new ApolloClient({ link, cache: new InMemoryCache() });
  return { apollo, requests: recorder.requests };
}

const AIRCRAFT = gql`
  query BatchedAircraft($tail: String!) { aircraft(tailNumber: $tail) { id tailNumber } }
`;
const MODELS = gql`
  query BatchedModels($search: String) { aircraftModels(search: $search) { code } }
`;
const FLEET = gql`
  query BatchedFleet { fleet(first: 1) { totalCount } }
`;

run(async () => {
  const tails = (await ok(url, key, "{ fleet(first: 100) { nodes { tailNumber } } }")).fleet.nodes.map(
    (aircraft) => aircraft.tailNumber,
  );
  check(tails.length >= 2, `${tails.length} aircraft to ask for`);

  // Several different operations, made together as components of one page would.
  const { apollo, requests } = client(maxBatch);
  const operations = [
    ...tails.slice(0, Math.min(tails.length, maxBatch - 2)).map((tail) => ({ query: AIRCRAFT, variables: { tail } })),
    { query: MODELS, variables: { search: "phenom" } },
    { query: FLEET },
  ];
  const results = await Promise.all(operations.map((operation) => apollo.query(operation)));
  equal(requests.length, 1, `${operations.length} queries went in one HTTP request`);
  const [batch] = requests;
  equal(batch.method, "POST", "a POST");
  check(Array.isArray(batch.body), "whose body is a JSON array", batch.body);
  equal(
    batch.body.map((operation) => operation.operationName),
    operations.map((operation) => operation.query.definitions[0].name.value),
    `of the ${operations.length} operations, in order`,
  );
  equal(batch.status, 200, "answered 200");
  check(Array.isArray(batch.answer), "with a JSON array", batch.answer);
  equal(batch.answer.length, operations.length, "one answer per operation");
  operations.forEach((operation, i) => {
    const name = operation.query.definitions[0].name.value;
    if (name === "BatchedAircraft") {
      equal(results[i].data.aircraft.tailNumber, operation.variables.tail, `answer ${i}: aircraft ${operation.variables.tail}`);
    } else if (name === "BatchedModels") {
      check(
        results[i].data.aircraftModels.some((model) => model.code === "E55P"),
        `answer ${i}: the aircraft models matching "phenom"`,
      );
    } else {
      equal(results[i].data.fleet.totalCount, tails.length, `answer ${i}: the fleet's size`);
    }
  });

  // One operation more than the server takes: refused whole, nothing runs.
  const over = client(maxBatch + 1);
  const tooMany = Array.from({ length: maxBatch + 1 }, (_, i) =>
    over.apollo.query({ query: MODELS, variables: { search: `model${i}` } }).then(
      () => null,
      (error) => error,
    ),
  );
  const errors = await Promise.all(tooMany);
  equal(over.requests.length, 1, `${maxBatch + 1} queries went in one request`);
  equal(over.requests[0].body.length, maxBatch + 1, "of them all");
  equal(over.requests[0].status, 400, "answered 400");
  equal(
    over.requests[0].answer?.errors?.[0]?.extensions?.code,
    "BATCH_TOO_LARGE",
    "with errors[0].extensions.code BATCH_TOO_LARGE",
  );
  // Apollo asks for application/graphql-response+json, under which a 400 still carries a
  // GraphQL answer: the link hands each query the one answer (not one per operation) as its error.
  check(
    errors.every((error) => error instanceof Error),
    `each query of the batch failed (${errors[0]?.message})`,
    errors.map((error) => String(error)),
  );
});
