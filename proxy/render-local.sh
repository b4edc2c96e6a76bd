#!/usr/bin/env bash
# Renders the nginx config for a local run into RUN_DIR (first argument): the same template the compose
# image uses, with the same derivation of the rate limit (15-rate-limit.envsh).
set -euo pipefail
run_dir=$(realpath -m "${1:?usage: proxy/render-local.sh RUN_DIR}")
here=$(cd "$(dirname "$0")" && pwd)
: "${HTTP_PORT:=8080}" "${API_PORT:=3000}" "${NGINX_WORKERS:=auto}"
export NGINX_LISTEN_PORT="127.0.0.1:${HTTP_PORT}" API_UPSTREAM="127.0.0.1:${API_PORT}"
# An api on this machine that also listens on a Unix socket (API_SOCKET, as ./run.sh runs it) is reached
# there: less CPU per request than loopback TCP (docs/BENCHMARKS.md).
if [ -n "${API_SOCKET:-}" ]; then API_UPSTREAM="unix:${API_SOCKET}"; fi
# Optional TLS for the local run (TLS_CERT_FILE, TLS_KEY_FILE): HTTPS on HTTPS_PORT, and the redirect
# from plain HTTP points there.
if [ -n "${TLS_CERT_FILE:-}" ]; then
  export NGINX_TLS_LISTEN_PORT="127.0.0.1:${HTTPS_PORT:-8443}" HTTPS_PUBLIC_PORT="${HTTPS_PUBLIC_PORT:-${HTTPS_PORT:-8443}}"
fi
export WEB_ROOT="${WEB_ROOT:-$(realpath "$here/../web/dist")}" ACCESS_LOG="${ACCESS_LOG:-$run_dir/nginx-access.log}"
# The api is an address here, nothing to re-resolve (and Debian's nginx 1.22 has no `resolve`); the
# resolver line still needs an address, the same nameservers the image's 15-local-resolvers.envsh finds.
export API_UPSTREAM_RESOLVE=""
NGINX_LOCAL_RESOLVERS=$(awk '$1 == "nameserver" && $2 !~ ":" {printf "%s ", $2}' /etc/resolv.conf 2>/dev/null || true)
NGINX_LOCAL_RESOLVERS=${NGINX_LOCAL_RESOLVERS% }
export NGINX_LOCAL_RESOLVERS=${NGINX_LOCAL_RESOLVERS:-127.0.0.1}
export NGINX_CACHE_DIR="${NGINX_CACHE_DIR:-$run_dir/cache}" NGINX_USER="${NGINX_USER:-$(id -un)}"
# shellcheck source=proxy/15-rate-limit.envsh
. "$here/15-rate-limit.envsh"
export RUN_DIR="$run_dir" NGINX_WORKERS
mkdir -p "$run_dir"/tmp/{body,proxy,fastcgi,uwsgi,scgi}
# shellcheck disable=SC2016 # envsubst takes the names literally
vars='${NGINX_LISTEN_PORT} ${API_UPSTREAM} ${WEB_ROOT} ${ACCESS_LOG} ${RATE_LIMIT_PER_IP} ${NGINX_VOTE_RATE} ${NGINX_VOTE_BURST} ${NGINX_CHALLENGE_BURST} ${RUN_DIR} ${NGINX_WORKERS}
  ${API_UPSTREAM_RESOLVE} ${NGINX_LOCAL_RESOLVERS}
  ${NGINX_TLS} ${NGINX_TLS_DEFAULT} ${NGINX_SERVER_NAMES} ${NGINX_STATUS_ALLOW} ${NGINX_REDIRECT_TO_HTTPS} ${NGINX_HTTPS_PORT_SUFFIX} ${NGINX_HSTS} ${NGINX_REAL_IP} ${NGINX_TRUSTED_GEO}
  ${NGINX_STREAMS_PER_IP} ${NGINX_STREAMS_TOTAL} ${NGINX_WORKER_CONNECTIONS} ${NGINX_WORKER_RLIMIT_NOFILE}
  ${ACCESS_LOG_BUFFER} ${NGINX_CACHE_DIR} ${NGINX_USER} ${NGINX_SELF} ${NGINX_SELF_TOKEN}
  ${NGINX_VOTES_IN_FLIGHT_LIMIT} ${NGINX_VOTE_RETRY_AFTER_SPLIT}'
envsubst "$vars" < "$here/templates/default.conf.template" > "$run_dir/paredao.conf"
envsubst "$vars" < "$here/nginx.local.conf.template" > "$run_dir/nginx.conf"
echo "$run_dir/nginx.conf"
