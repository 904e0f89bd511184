#!/usr/bin/env bash
# Regenerates introspection_query.graphql: the exact text of `getIntrospectionQuery()` from
# the npm `graphql` package, which GraphiQL and code generators send.
set -euo pipefail
cd "$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent graphql@16 >/dev/null)
NODE_PATH="$work/node_modules" node -e \
  "process.stdout.write(require('graphql').getIntrospectionQuery())" > introspection_query.graphql
