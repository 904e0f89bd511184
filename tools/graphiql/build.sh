#!/usr/bin/env bash
# Builds the offline GraphiQL bundle that Contrail embeds and serves at
# GET /graphql: one JS file and one CSS file, no CDN, no workers, no chunks.
# Outputs (committed, so building the Rust server needs no Node):
#   assets/graphiql/graphiql.js
#   assets/graphiql/graphiql.css
# Usage: tools/graphiql/build.sh   (from any directory; needs node + npm)
set -euo pipefail

cd "$(dirname "$0")"
out="../../assets/graphiql"

npm ci --no-audit --no-fund
mkdir -p "$out"

# esbuild names the CSS output after the JS output: graphiql.js -> graphiql.css.
node_modules/.bin/esbuild entry.jsx \
  --bundle \
  --minify \
  --format=iife \
  --platform=browser \
  --target=es2020 \
  --jsx=automatic \
  --define:process.env.NODE_ENV='"production"' \
  --legal-comments=eof \
  --log-level=warning \
  --outfile="$out/graphiql.js"

ls -l "$out/graphiql.js" "$out/graphiql.css"
