#!/usr/bin/env bash
# ensure-peers.sh: install the peer servers the lab compares with w3 that do not come from npm — Debian's nginx,
# haproxy and python3-gunicorn (Gunicorn runs as `/usr/bin/python3 -m gunicorn`) — when they are missing, then check
# that each really works. PM2 is a devDependency (npm). Idempotent; needs root for apt-get (prints what to run
# otherwise); exits 1 naming whatever is still missing. Installing nginx or haproxy does not start them: the lab
# starts its own instances with configs in each run folder (Debian's policy-rc.d may block the package's own
# service start, and a machine without an init system cannot start it: both are fine here).
set -euo pipefail

say() { echo "ensure-peers: $*"; }
missing_peers() {
  local out=()
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || out+=(nginx)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || out+=(haproxy)
  /usr/bin/python3 -c 'import gunicorn' >/dev/null 2>&1 || out+=(python3-gunicorn)
  echo "${out[@]}"
}

read -r -a missing <<< "$(missing_peers)"
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
# A clean machine may have no package lists yet: update and retry once when the first attempt fails.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

read -r -a still <<< "$(missing_peers)"
if [ ${#still[@]} -gt 0 ]; then
  echo "ensure-peers: ERROR: still missing after apt-get: ${still[*]}" >&2
  exit 1
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)
say "installed ${missing[*]}: $("$nginx_bin" -v 2>&1), $("$haproxy_bin" -v 2>&1 | head -1)," \
  "gunicorn $(/usr/bin/python3 -c 'import gunicorn; print(gunicorn.__version__)')"
