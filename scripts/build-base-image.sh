#!/usr/bin/env bash
# build-base-image.sh TAG: makes a minimal Node base image without any registry, from this machine's own node:
# the node binary, the shared libraries `ldd` lists (and the dynamic loader), /etc/passwd and /etc/group with an
# unprivileged user `w3` (uid/gid 1000), /etc/nsswitch.conf, /home/w3 and /tmp (1777); tarred and `docker import`ed.
# There is no shell in the image: Dockerfiles use exec-form RUN (["node", "-e", ...]) and the lab execs `node -e`.
# The image's default user is w3 (1000:1000), so whatever runs FROM it is unprivileged unless a Dockerfile switches
# to root on purpose. Environment: W3LAB_NODE = node binary to copy (default: `command -v node`).
set -euo pipefail

TAG="${1:?usage: build-base-image.sh TAG}"
NODE_BIN="$(readlink -f "${W3LAB_NODE:-$(command -v node)}")"
[ -x "$NODE_BIN" ] || { echo "build-base-image: node binary not found: $NODE_BIN" >&2; exit 1; }

ROOT="$(mktemp -d "${TMPDIR:-/tmp}/w3lab-base.XXXXXX")"
trap 'rm -rf "$ROOT"' EXIT

mkdir -p "$ROOT/usr/local/bin" "$ROOT/etc" "$ROOT/tmp" "$ROOT/home/w3"
cp "$NODE_BIN" "$ROOT/usr/local/bin/node"

# Libraries and the loader, at the paths ldd reports (dereferenced, so symlinked names become real files).
ldd "$NODE_BIN" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u | while read -r lib; do
  cp -L --parents "$lib" "$ROOT/"
done

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/nonexistent
w3:x:1000:1000:w3lab:/home/w3:/nonexistent
nobody:x:65534:65534:nobody:/nonexistent:/nonexistent
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
w3:x:1000:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$ROOT/etc/hosts"
chmod 1777 "$ROOT/tmp"
# w3 owns its home; when not root (chown impossible) fall back to a sticky world-writable home.
chown 1000:1000 "$ROOT/home/w3" 2>/dev/null || chmod 1777 "$ROOT/home/w3"
chmod 0755 "$ROOT"

tar --numeric-owner -C "$ROOT" -cf - . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV HOME=/home/w3' \
  --change 'USER w3' \
  --change 'WORKDIR /home/w3' \
  --change 'CMD ["node"]' \
  -m "w3lab node base from $NODE_BIN ($("$NODE_BIN" -v))" \
  - "$TAG" >/dev/null
echo "build-base-image: $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
