#!/usr/bin/env bash
# Copies the offline Swagger UI that Contrail embeds and serves at GET /openapi (the browsable
# reference of /openapi.json): the prebuilt bundle and stylesheet of npm's swagger-ui-dist,
# no CDN. Its source map is left out (the bundle's pointer to it too), so browsers ask for
# nothing this server does not serve.
# Outputs (committed, so building the Rust server needs no Node):
#   assets/openapi/swagger-ui.js
#   assets/openapi/swagger-ui.css
# Usage: tools/openapi/build.sh   (from any directory; needs node + npm)
set -euo pipefail

cd "$(dirname "$0")"
out="../../assets/openapi"

npm ci --no-audit --no-fund
mkdir -p "$out"

dist=node_modules/swagger-ui-dist
grep -v '^//# sourceMappingURL=' "$dist/swagger-ui-bundle.js" > "$out/swagger-ui.js"
grep -v '^/\*# sourceMappingURL=' "$dist/swagger-ui.css" > "$out/swagger-ui.css"
cp "$dist/LICENSE" "$out/LICENSE.swagger-ui"

ls -l "$out/swagger-ui.js" "$out/swagger-ui.css"
