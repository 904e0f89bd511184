// Entry point of the GraphiQL bundle that Contrail embeds and serves at
// GET /graphql. Built by ./build.sh into ../../assets/graphiql/graphiql.{js,css}.
// Everything (React, GraphiQL, CodeMirror, graphql-ws, fonts) ends up in those
// two files, so the page works with no internet access.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/graphiql.css';

// Same origin as the page, so it works on any host and port.
const httpUrl = new URL('/graphql', window.location.href);
const wsUrl = new URL(httpUrl.href);
wsUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';

// Hint shown in the headers editor. Sending it verbatim would be an invalid
// key, so the fetcher drops an Authorization header that still holds it.
const AUTH_PLACEHOLDER = 'Bearer <your API key>';
const DEFAULT_HEADERS = JSON.stringify({ Authorization: AUTH_PLACEHOLDER }, null, 2);

function withoutPlaceholder(headers) {
  if (!headers || typeof headers !== 'object') return headers;
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization') {
      const v = String(value).trim();
      if (v === '' || v === AUTH_PLACEHOLDER || v === 'Bearer' || v.includes('<')) continue;
    }
    out[name] = value;
  }
  return out;
}

// HTTP POST to /graphql for queries and mutations; subscriptions go over a
// WebSocket to the same path with the graphql-transport-ws protocol
// (graphql-ws client). For subscriptions the headers from the editor are sent
// as the connection_init payload, e.g. {"Authorization": "Bearer ..."}.
const baseFetcher = createGraphiQLFetcher({
  url: httpUrl.href,
  subscriptionUrl: wsUrl.href,
  enableIncrementalDelivery: false,
});

const fetcher = (graphQLParams, opts) =>
  baseFetcher(graphQLParams, opts ? { ...opts, headers: withoutPlaceholder(opts.headers) } : opts);

const DEFAULT_QUERY = `# Welcome to the Contrail GraphQL API.
#
# Public queries (aircraftModels, listings)
# need no API key. For the rest, put your key
# in the Headers tab below:
#   {"Authorization": "Bearer <your API key>"}
# Headers are kept in this browser, so a
# pasted key survives reloads.
#
# Ctrl+Enter (Cmd+Enter on a Mac) runs the
# query; the Docs button shows the schema.

`;

function App() {
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={DEFAULT_QUERY}
      isHeadersEditorEnabled={true}
      defaultHeaders={DEFAULT_HEADERS}
      shouldPersistHeaders={true}
      defaultEditorToolsVisibility="headers"
    />
  );
}

createRoot(document.getElementById('graphiql')).render(<App />);
