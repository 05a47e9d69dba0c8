#!/usr/bin/env bash
# Builds the images the Docker sandbox needs, locally (nothing can be pulled here):
#   lathe/base:local     a minimal root filesystem: this host's Node 22 + its shared libraries,
#                        npm, busybox (sh and the usual tools) and the CA bundle
#   lathe/sandbox:local  docker/sandbox/Dockerfile on top of it (template deps baked in)
# Idempotent: an image that exists is kept unless its inputs changed (sandbox) or FORCE=1.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${LATHE_BASE_IMAGE:-lathe/base:local}
IMAGE=${LATHE_SANDBOX_IMAGE:-lathe/sandbox:local}
FORCE=${FORCE:-0}
work=$(mktemp -d)
chmod 0755 "$work"  # apt-get download runs as _apt
trap 'rm -rf "$work"' EXIT

ca_bundle() {
  for f in "${NODE_EXTRA_CA_CERTS:-}" "$(npm config get cafile 2>/dev/null || true)" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$f" ] && [ "$f" != null ] && [ "$f" != undefined ] && [ -f "$f" ]; then echo "$f"; return; fi
  done
}

build_base() {
  local root="$work/rootfs" node npm_root busybox
  node=$(readlink -f "$(command -v node)")
  "$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' || { echo "need Node >= 22 on PATH" >&2; exit 1; }
  npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/local/lib/node_modules,etc/ssl/certs,tmp,app,root}
  chmod 1777 "$root/tmp"
  cp "$node" "$root/usr/local/bin/node"
  # The shared libraries Node links against, at the same paths, plus the dynamic loader.
  ldd "$node" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  # Native addons in the template (rolldown, lightningcss, tailwind oxide) need the same C runtime.
  for lib in /lib/x86_64-linux-gnu/librt.so.1 /lib/x86_64-linux-gnu/libresolv.so.2; do
    [ -f "$lib" ] && { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
  cp -a "$npm_root" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  busybox=$(command -v busybox || true)
  if [ -z "$busybox" ] || ! file "$busybox" 2>/dev/null | grep -q 'statically linked'; then
    (cd "$work" && { apt-get download busybox-static >/dev/null 2>&1 || { apt-get update -qq && apt-get download busybox-static >/dev/null; }; } && dpkg-deb -x busybox-static_*.deb bb)
    busybox="$work/bb/bin/busybox"
  fi
  cp "$busybox" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  ln -sf /bin/env "$root/usr/bin/env"
  cp "$(ca_bundle)" "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/app:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  local previous
  previous=$(docker image inspect -f '{{.Id}}' "$BASE" 2>/dev/null || true)
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/sh"]' - "$BASE" >/dev/null
  [ -n "$previous" ] && docker rmi "$previous" >/dev/null 2>&1 || true
  echo "built $BASE"
}

if [ "$FORCE" = 1 ] || ! docker image inspect "$BASE" >/dev/null 2>&1; then
  build_base
else
  echo "$BASE exists"
fi

# The sandbox image: rebuilt when its inputs change (their hash is stored as a label).
ctx="$work/ctx"
mkdir -p "$ctx/docker/sandbox/build-ca" "$ctx/packages/sandbox/templates"
cp docker/sandbox/Dockerfile "$ctx/docker/sandbox/"
cp -a packages/sandbox/runtime "$ctx/packages/sandbox/runtime"
(cd packages/sandbox/templates && tar -c --exclude node_modules --exclude .vite --exclude dist react-vite) | tar -C "$ctx/packages/sandbox/templates" -x
inputs=$( (cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum; docker image inspect -f '{{.Id}}' "$BASE") | sha256sum | cut -c1-16)
current=$(docker image inspect -f '{{index .Config.Labels "lathe.inputs"}}' "$IMAGE" 2>/dev/null || true)
if [ "$FORCE" != 1 ] && [ "$current" = "$inputs" ]; then
  echo "$IMAGE is up to date"
  exit 0
fi
ca=$(ca_bundle)
[ -n "$ca" ] && cp "$ca" "$ctx/docker/sandbox/build-ca/ca.crt"
previous=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
registry=${npm_config_registry:-$(npm config get registry 2>/dev/null | tail -1)}
DOCKER_BUILDKIT=0 docker build -q \
  --build-arg BASE_IMAGE="$BASE" \
  --build-arg NPM_REGISTRY="${registry:-https://registry.npmjs.org/}" \
  --label lathe.inputs="$inputs" \
  -f "$ctx/docker/sandbox/Dockerfile" -t "$IMAGE" "$ctx" >/dev/null
# The replaced image is garbage unless a container still uses it (then docker keeps it).
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
  docker rmi "$previous" >/dev/null 2>&1 || true
fi
echo "built $IMAGE"
