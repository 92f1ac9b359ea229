#!/usr/bin/env bash
# ensure-docker.sh: make a Docker engine answer on this machine and make sure the local Node base image exists,
# so the lab's container runtime works offline (no registry). Steps, each skipped when already done:
#   1. install docker.io (apt-get update once + install) when dockerd or the docker client is missing;
#   2. start dockerd in the background (--userland-proxy=false, log in /var/log/w3lab-dockerd.log) when
#      `docker info` fails, after removing stale pid files no live process owns; wait up to 60 s for it;
#   3. build `w3lab/node-base:<node version>` (and tag it `w3lab/node-base:local`) with build-base-image.sh.
# Idempotent and safe to run twice at once (flock). Prints what it did; exits 1 with the reason when Docker
# cannot run here (not root, dockerd refuses to start, ...).
#
# Environment: W3LAB_NODE   node binary copied into the base image (default: `command -v node`)
#              W3LAB_DOCKERD_LOG  dockerd log file (default /var/log/w3lab-dockerd.log)
#              W3LAB_DOCKER_WAIT  seconds to wait for dockerd (default 60)
#              DOCKER_HOST  another engine (e.g. tcp://127.0.0.1:2375): used as it is, never started here; the base
#                           image is built on it (docker import streams from this machine)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DOCKERD_LOG="${W3LAB_DOCKERD_LOG:-/var/log/w3lab-dockerd.log}"
WAIT_SECONDS="${W3LAB_DOCKER_WAIT:-60}"
NODE_BIN="${W3LAB_NODE:-$(command -v node || true)}"

say() { echo "ensure-docker: $*"; }
die() {
  echo "ensure-docker: ERROR: $*" >&2
  exit 1
}

[ -n "$NODE_BIN" ] || die "no node binary found (set W3LAB_NODE)"

# One run at a time: a second caller waits here, then finds everything done.
LOCK_FILE="${TMPDIR:-/tmp}/w3lab-ensure-docker.$(id -u).lock"
exec 9>"$LOCK_FILE" || die "cannot open lock file $LOCK_FILE"
flock -w 900 9 || die "timed out waiting for another ensure-docker.sh (lock $LOCK_FILE)"

is_root() { [ "$(id -u)" = "0" ]; }
docker_answers() { timeout 10 docker info >/dev/null 2>&1; }
# The local engine's dockerd: the one this script started, else the one its default pid file names. Another dockerd
# on the machine (a second engine a test runs on its own socket) is not it. A zombie is not counted as alive.
STARTED_PID=""
dockerd_pid() {
  if [ -n "$STARTED_PID" ]; then echo "$STARTED_PID"; else tr -dc '0-9' </var/run/docker.pid 2>/dev/null || true; fi
}
dockerd_alive() {
  local pid
  pid="$(dockerd_pid)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "dockerd" ] &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}
# DOCKER_HOST naming something other than the local engine's socket: this script cannot start that engine.
remote_engine() {
  case "${DOCKER_HOST:-}" in
    "" | unix:///var/run/docker.sock | unix:///run/docker.sock) return 1 ;;
    *) return 0 ;;
  esac
}

# Removes a pid file whose pid is dead or belongs to some other program (a dockerd killed hard leaves them).
remove_stale_pidfile() {
  local file="$1" expect="$2" pid comm
  [ -f "$file" ] || return 0
  pid="$(tr -dc '0-9' <"$file" || true)"
  if [ -n "$pid" ] && [ -r "/proc/$pid/comm" ]; then
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    if [ "$comm" = "$expect" ]; then return 0; fi
  fi
  rm -f "$file"
  say "removed stale pid file $file"
}

# --- 1. install --------------------------------------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  if ! docker_answers; then
    is_root || die "Docker is not installed and this user is not root: install docker.io (or Docker Engine) and start it, or run this script as root"
    command -v apt-get >/dev/null 2>&1 || die "Docker is not installed and apt-get is not available: install a Docker engine by hand"
    say "installing docker.io (apt-get)..."
    export DEBIAN_FRONTEND=noninteractive
    out="$(apt-get update -qq 2>&1)" || { echo "$out" | tail -n 20 >&2; die "apt-get update failed"; }
    out="$(apt-get install -y -qq --no-install-recommends docker.io 2>&1)" ||
      { echo "$out" | tail -n 20 >&2; die "apt-get install docker.io failed"; }
    say "installed docker.io ($(dockerd --version 2>/dev/null || echo '?'))"
  fi
fi

# --- 2. start ----------------------------------------------------------------------------------------------
if ! docker_answers && [[ "$(timeout 10 docker info 2>&1 || true)" == *"permission denied"* ]]; then
  die "a Docker engine runs but this user ($(id -un)) may not use its socket: add the user to the docker group, or run as root"
fi
if docker_answers; then
  say "docker engine already answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))${DOCKER_HOST:+ at DOCKER_HOST=$DOCKER_HOST}"
elif remote_engine; then
  die "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer ($(timeout 10 docker info 2>&1 >/dev/null | grep -v '^[[:space:]]*$' | tail -n 1 || true)); this script starts only the local engine: start that one, or unset DOCKER_HOST"
else
  if dockerd_alive; then
    say "dockerd is running but not answering yet; waiting"
  else
    is_root || die "docker is not answering and this user is not root, so dockerd cannot be started: ask an administrator to start Docker, or run this script as root"
    remove_stale_pidfile /var/run/docker.pid dockerd
    remove_stale_pidfile /var/run/docker/containerd/containerd.pid containerd
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # Detached (setsid) and with every inherited fd closed: the lock fd 9 must not outlive this script, and
    # callers such as spawnSync wait for our stdout/stderr to close.
    setsid dockerd --userland-proxy=false </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
    STARTED_PID=$!
    say "started dockerd (pid $!, --userland-proxy=false, log $DOCKERD_LOG)"
  fi
  start=$SECONDS
  until docker_answers; do
    if ! dockerd_alive; then
      echo "ensure-docker: last lines of $DOCKERD_LOG:" >&2
      tail -n 25 "$DOCKERD_LOG" >&2 || true
      die "dockerd exited during startup (see above: missing kernel features such as overlay/iptables/cgroups, or no privilege)"
    fi
    if [ $((SECONDS - start)) -ge "$WAIT_SECONDS" ]; then
      tail -n 25 "$DOCKERD_LOG" >&2 || true
      die "docker did not answer within ${WAIT_SECONDS}s"
    fi
    sleep 0.5
  done
  say "docker engine answering after $((SECONDS - start))s"
fi

# --- 3. base image -----------------------------------------------------------------------------------------
NODE_VERSION="$("$NODE_BIN" -p process.versions.node)"
BASE_TAG="w3lab/node-base:$NODE_VERSION"
if docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
  say "base image $BASE_TAG present"
else
  t0=$(date +%s.%N)
  W3LAB_NODE="$NODE_BIN" "$SCRIPT_DIR/build-base-image.sh" "$BASE_TAG" 9>&-
  say "built base image $BASE_TAG in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")s"
fi
# `local` always names the base of the node this machine runs (the Dockerfiles' default BASE_IMAGE).
if [ "$(docker image inspect -f '{{.Id}}' w3lab/node-base:local 2>/dev/null || true)" != "$(docker image inspect -f '{{.Id}}' "$BASE_TAG")" ]; then
  docker tag "$BASE_TAG" w3lab/node-base:local
  say "tagged $BASE_TAG as w3lab/node-base:local"
fi
echo "BASE_IMAGE=$BASE_TAG"
