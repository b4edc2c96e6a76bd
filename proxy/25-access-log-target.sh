#!/bin/sh
# Run by the official nginx image's entrypoint after it rendered the templates (20-envsubst-…), before
# nginx starts. Keeps the vote site up whatever happens to Graylog.
#
# With ACCESS_LOG=syslog:server=HOST:PORT,…, nginx resolves HOST once, when it reads its config, and
# refuses to start when HOST does not resolve (nginx src/core/ngx_syslog.c → ngx_parse_url): a proxy
# (re)started while Graylog's container is absent would stop voting. So:
#   - at start, if HOST does not resolve, the access log goes to ACCESS_LOG_FALLBACK (stdout) instead;
#   - then, every ACCESS_LOG_RECHECK_SECONDS (0 = never), a watcher looks HOST up again and, when the
#     answer changed (Graylog came, went, or came back on another address), switches the config and
#     reloads nginx, which resolves HOST anew. Lines logged meanwhile go to stdout, not to Graylog.
# Whether HOST resolves is asked of nginx itself (`nginx -t` on a one-line config), so the answer is the
# one nginx would get; `getent hosts` (musl-utils) gives the address to compare, so a Graylog recreated
# on another address is followed too.
set -eu

conf_dir=${NGINX_CONF_DIR:-/etc/nginx/conf.d}
conf=$conf_dir/default.conf
main_conf=${NGINX_MAIN_CONF:-/etc/nginx/nginx.conf}
fallback=${ACCESS_LOG_FALLBACK:-/dev/stdout}
recheck=${ACCESS_LOG_RECHECK_SECONDS:-15}

case "${ACCESS_LOG:-}" in
  syslog:server=*) ;;
  *) exit 0 ;;
esac
target=${ACCESS_LOG#syslog:server=}
target=${target%%,*}
host=${target%:*}

log() { echo "$0: $*"; }

# Prints the address HOST resolves to now, or nothing. Without getent, only whether it resolves.
lookup() {
  if command -v getent >/dev/null 2>&1; then
    getent hosts "$host" 2>/dev/null | awk 'NR == 1 { print $1 }' || true
  elif nginx_resolves; then
    echo resolves
  fi
}

# 0 when nginx accepts ACCESS_LOG as a syslog target, that is when nginx can resolve HOST.
nginx_resolves() {
  probe=$(mktemp)
  printf 'error_log stderr;\nevents {}\nhttp { access_log %s; }\n' "$ACCESS_LOG" > "$probe"
  if nginx -q -t -c "$probe" >/dev/null 2>&1; then rm -f "$probe"; return 0; fi
  rm -f "$probe"
  return 1
}

# The rendered config with ACCESS_LOG (a literal string, hence awk's index, not a regex) replaced.
with_target() {
  awk -v from="$ACCESS_LOG" -v to="$1" '{
    out = ""; line = $0
    while ((i = index(line, from)) > 0) { out = out substr(line, 1, i - 1) to; line = substr(line, i + length(from)) }
    print out line
  }' "$conf.syslog"
}

[ -f "$conf.syslog" ] || cp "$conf" "$conf.syslog"

use() {
  if [ "$1" = syslog ]; then cp "$conf.syslog" "$conf"; else with_target "$fallback" > "$conf"; fi
}

if nginx_resolves; then
  use syslog
  log "access log to $target"
else
  use fallback
  log "$host does not resolve: access log to $fallback until it does (nginx would not start otherwise)"
fi

[ "$recheck" -gt 0 ] 2>/dev/null || exit 0

last=$(lookup)
# Detached from the entrypoint's loop (stdin) and left to the container's init (compose: init: true).
(
  while sleep "$recheck"; do
    now=$(lookup)
    [ "$now" = "$last" ] && continue
    if [ -n "$now" ] && nginx_resolves; then use syslog; else use fallback; fi
    if nginx -c "$main_conf" -s reload 2>/dev/null; then
      log "$host is now ${now:-unresolved}: access log switched, nginx reloaded"
      last=$now
    fi
  done
) </dev/null &
