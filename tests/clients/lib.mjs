// Shared by the client scripts: arguments, checks that print what they verify, a fetch that
// records every request it sends, and a plain GraphQL POST for ground truth.

import { createHash } from "node:crypto";

/** `[url, key, ...rest]` from the command line, or exits with the script's usage. */
export function args(usage, count = 2) {
  const values = process.argv.slice(2);
  if (values.length < count) {
    console.error(`usage: node ${process.argv[1].split("/").pop()} ${usage}`);
    process.exit(2);
  }
  return values;
}

/** Prints `OK <what>` when `condition` holds; otherwise prints why and exits 1. */
export function check(condition, what, detail) {
  if (!condition) {
    fail(`${what}${detail === undefined ? "" : `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`}`);
  }
  console.log(`OK ${what}`);
}

/** JSON with object keys sorted, so that key order does not matter. */
export function canonical(value) {
  return JSON.stringify(value, (_, inner) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** Checks that `actual` and `expected` are the same JSON (object key order aside). */
export function equal(actual, expected, what) {
  const [a, e] = [canonical(actual), canonical(expected)];
  check(a === e, what, `expected ${e}, got ${a}`);
}

export function fail(message) {
  console.log(`FAIL ${message}`);
  console.error(`FAIL ${message}`);
  process.exit(1);
}

/** Runs `main`, turning any exception into a failure with its message. */
export function run(main) {
  main().then(
    () => {
      console.log("DONE");
      process.exit(0);
    },
    (error) => fail(`${error?.stack ?? error}${error?.cause ? `\ncause: ${error.cause}` : ""}`),
  );
}

export function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * A `fetch` that records each request: method, URL, parsed body (POST) or search parameters
 * (GET), status and parsed response body.
 */
export function recordingFetch() {
  const requests = [];
  async function recorded(input, init = {}) {
    const url = new URL(typeof input === "string" ? input : input.url);
    const method = (init.method ?? "GET").toUpperCase();
    let body = null;
    if (init.body !== undefined && init.body !== null) {
      body = JSON.parse(init.body);
    }
    const response = await fetch(input, init);
    const text = await response.clone().text();
    let answer = null;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = text;
    }
    requests.push({ method, url, body, status: response.status, answer });
    return response;
  }
  recorded.requests = requests;
  recorded.reset = () => requests.splice(0, requests.length);
  return recorded;
}

/** The GraphQL parameters a recorded request sent, from its body (POST) or URL (GET). */
export function sent(request) {
  if (request.method === "GET") {
    const params = request.url.searchParams;
    const json = (name) => (params.has(name) ? JSON.parse(params.get(name)) : undefined);
    return {
      query: params.get("query") ?? undefined,
      operationName: params.get("operationName") ?? undefined,
      variables: json("variables"),
      extensions: json("extensions"),
    };
  }
  return request.body;
}

/** A plain POST, answering the parsed body (throws on a non-JSON answer). */
export async function post(url, key, body, headers = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`${url} answered ${response.status} with non-JSON: ${text.slice(0, 300)}`);
  }
}

/** A query as organization `key`, expecting no error: returns `data`. */
export async function ok(url, key, query, variables = {}) {
  const { status, body } = await post(url, key, { query, variables });
  if (status !== 200 || body.errors) {
    throw new Error(`${query} answered ${status}: ${JSON.stringify(body)}`);
  }
  return body.data;
}
