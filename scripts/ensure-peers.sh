#!/usr/bin/env bash
# ensure-peers.sh: install the peer servers the lab compares with w3 that do not come from npm — Debian's nginx,
# haproxy and python3-gunicorn (Gunicorn runs as `/usr/bin/python3 -m gunicorn`) — when they are missing. PM2 is a
# devDependency (npm). Idempotent; needs root for apt-get (prints what to run otherwise). Installing nginx or
# haproxy does not start them: the lab starts its own instances with configs in each run folder (Debian's
# policy-rc.d may block the package's own service start; that is fine here).
set -euo pipefail

say() { echo "ensure-peers: $*"; }
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
/usr/bin/python3 -c 'import gunicorn' >/dev/null 2>&1 || missing+=(python3-gunicorn)

if [ ${#missing[@]} -eq 0 ]; then
  say "nginx, haproxy and python3-gunicorn are installed"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-peers: ERROR: missing ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
say "installed ${missing[*]}"
