#!/usr/bin/env bash
# Builds the API and web images from the locally made base (scripts/docker-images.sh builds
# lathe/base:local and the sandbox image first). Docker's layer cache keeps repeat builds quick.
# Production builds use the official Node image: `docker compose build` (BASE_IMAGE defaults to it).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${LATHE_BASE_IMAGE:-lathe/base:local}
docker image inspect "$BASE" >/dev/null 2>&1 || { echo "missing $BASE: run scripts/docker-images.sh first" >&2; exit 1; }

# The host's CA bundle, for npm inside the build behind a TLS-intercepting proxy (git-ignored).
for f in "${NODE_EXTRA_CA_CERTS:-}" /etc/ssl/certs/ca-certificates.crt; do
  if [ -n "$f" ] && [ -f "$f" ]; then cp "$f" docker/ca/build-ca.crt; break; fi
done
registry=${npm_config_registry:-$(npm config get registry 2>/dev/null | tail -1)}

for target in api web; do
  DOCKER_BUILDKIT=0 docker build -q \
    --build-arg BASE_IMAGE="$BASE" \
    --build-arg NPM_REGISTRY="${registry:-https://registry.npmjs.org/}" \
    -f "docker/$target/Dockerfile" -t "lathe/$target:local" . >/dev/null
  echo "built lathe/$target:local"
done
