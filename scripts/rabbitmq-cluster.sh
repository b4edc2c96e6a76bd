#!/usr/bin/env bash
# A three-node RabbitMQ cluster on this machine, from Debian's rabbitmq-server, for tests, benchmarks
# and people (docs/SCALING.md):
#   scripts/rabbitmq-cluster.sh start    start three nodes, cluster them, wait until all run, print AMQP_URL
#   scripts/rabbitmq-cluster.sh stop     stop the three nodes (nothing of theirs keeps running)
#   scripts/rabbitmq-cluster.sh status   which nodes run, and the cluster as node 1 sees it
#   scripts/rabbitmq-cluster.sh url      print the AMQP_URL (comma-separated, one URL per node)
#
# Each node has its own name (paredao1@localhost …), data, log and config under run/rabbitmq-cluster/,
# AMQP port 5681, 5682, 5683, distribution port AMQP+20000 and Prometheus port 15791, 15792, 15793; the
# three share one Erlang cookie kept in that folder (HOME points there for the server and the CLI).
# The machine's own broker (5672, node rabbit@…, /etc/rabbitmq) is never read, stopped or touched:
# every file the nodes use is named explicitly, including the env file Debian would otherwise source.
#
# Settings (environment), so that two checkouts on one machine can each run a cluster:
#   RABBITMQ_CLUSTER_DIR   where data, logs, configs and the cookie live (default run/rabbitmq-cluster)
#   RABBITMQ_CLUSTER_NAME  node name prefix (default paredao → paredao1@localhost …)
#   RABBITMQ_CLUSTER_PORT  AMQP port of node 1; nodes 2 and 3 take the next two (default 5681)
#   RABBITMQ_CLUSTER_PROMETHEUS_PORT  Prometheus port of node 1, then +1, +2 (default 15791)
#
# A fresh cluster forms by classic-config peer discovery (the node list is in each node's
# rabbitmq.conf, as in the compose file): node 1 boots first, nodes 2 and 3 find it and join. A
# cluster that already has data (start after stop) boots its three nodes together, since a restarted
# node waits for the peers it last saw.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(realpath -m "${RABBITMQ_CLUSTER_DIR:-run/rabbitmq-cluster}")
prefix=${RABBITMQ_CLUSTER_NAME:-paredao}
amqp_base=${RABBITMQ_CLUSTER_PORT:-5681}
prom_base=${RABBITMQ_CLUSTER_PROMETHEUS_PORT:-15791}
host=localhost
bin=/usr/lib/rabbitmq/bin # the real scripts: /usr/sbin's wrappers switch to the rabbitmq user and /var/lib/rabbitmq
nodes=(1 2 3)

say() { printf '\033[1m[rabbitmq-cluster]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[rabbitmq-cluster] %s\033[0m\n' "$*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

node_name() { echo "$prefix$1@$host"; }
amqp_port() { echo $((amqp_base + $1 - 1)); }
prom_port() { echo $((prom_base + $1 - 1)); }
node_dir() { echo "$dir/$prefix$1"; }

url() {
  local urls=() i
  for i in "${nodes[@]}"; do urls+=("amqp://guest:guest@127.0.0.1:$(amqp_port "$i")"); done
  (IFS=,; echo "${urls[*]}")
}

# The environment one node's server and CLI run with: every path explicit, nothing from /etc/rabbitmq.
node_env() {
  local i=$1 d
  d=$(node_dir "$i")
  export HOME="$dir" # the shared cookie: $HOME/.erlang.cookie
  # A cookie in the environment (.env's RABBITMQ_ERLANG_COOKIE, for compose, loaded by ./run.sh) would
  # win over the file for the nodes and the CLI alike, and print a deprecation warning into the JSON
  # this script reads.
  unset RABBITMQ_ERLANG_COOKIE
  export RABBITMQ_NODENAME
  RABBITMQ_NODENAME=$(node_name "$i")
  export RABBITMQ_NODE_PORT RABBITMQ_DIST_PORT
  RABBITMQ_NODE_PORT=$(amqp_port "$i")
  RABBITMQ_DIST_PORT=$((RABBITMQ_NODE_PORT + 20000))
  export RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$d/mnesia"
  export RABBITMQ_MNESIA_DIR="$d/mnesia/$RABBITMQ_NODENAME"
  export RABBITMQ_LOG_BASE="$d/log"
  export RABBITMQ_PID_FILE="$d/pid"
  export RABBITMQ_PLUGINS_EXPAND_DIR="$d/mnesia/$RABBITMQ_NODENAME-plugins-expand"
  export RABBITMQ_FEATURE_FLAGS_FILE="$d/mnesia/$RABBITMQ_NODENAME-feature_flags"
}

ctl() { local i=$1; shift; (node_env "$i"; "$bin/rabbitmqctl" -n "$(node_name "$i")" "$@"); }

write_config() {
  local i=$1 d j
  d=$(node_dir "$i")
  mkdir -p "$d/mnesia" "$d/log"
  : > "$d/rabbitmq-env.conf"
  echo '[rabbitmq_prometheus].' > "$d/enabled_plugins"
  echo '[].' > "$d/advanced.config"
  {
    echo "# Written by scripts/rabbitmq-cluster.sh for node $(node_name "$i"); rewritten on every start."
    echo "listeners.tcp.default = 127.0.0.1:$(amqp_port "$i")"
    echo "prometheus.tcp.ip = 127.0.0.1"
    echo "prometheus.tcp.port = $(prom_port "$i")"
    echo "cluster_formation.peer_discovery_backend = classic_config"
    for j in "${nodes[@]}"; do echo "cluster_formation.classic_config.nodes.$j = $(node_name "$j")"; done
    # Nodes are started one after the other on a fresh cluster (see the top), so no random delay is needed.
    echo "cluster_formation.randomized_startup_delay_range.min = 0"
    echo "cluster_formation.randomized_startup_delay_range.max = 1"
    # A lost node is noticed in seconds, not the default minute: quorum queues elect a new leader then.
    echo "net_ticktime = 10"
  } > "$d/rabbitmq.conf"
}

ensure_cookie() {
  mkdir -p "$dir"
  if [[ ! -s $dir/.erlang.cookie ]]; then
    (umask 077; head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$dir/.erlang.cookie")
  fi
  chmod 400 "$dir/.erlang.cookie"
}

vms() { pgrep -f -- "beam.* -home $dir( |\$)" || true; }

running() { local p; p=$(node_dir "$1")/pid; [[ -s $p ]] && kill -0 "$(cat "$p")" 2>/dev/null; }

start_node() {
  local i=$1 d
  d=$(node_dir "$i")
  if running "$i"; then say "$(node_name "$i") already running"; return; fi
  port_open "$(amqp_port "$i")" && die "port $(amqp_port "$i") is taken by something else (set RABBITMQ_CLUSTER_PORT)"
  write_config "$i"
  rm -f "$d/pid"
  say "starting $(node_name "$i") (AMQP $(amqp_port "$i"), Prometheus $(prom_port "$i"), log $d/log)"
  (node_env "$i"; cd "$d"; "$bin/rabbitmq-server" -detached >>"$d/log/startup.log" 2>&1)
}

wait_node() {
  local i=$1 d
  d=$(node_dir "$i")
  # `rabbitmqctl wait` returns once the app runs (or the pid is gone); bounded by --timeout.
  ctl "$i" wait --timeout 120 "$d/pid" >/dev/null 2>>"$d/log/startup.log" \
    || die "$(node_name "$i") did not start within 120 s: see $d/log/"
}

# Joins node i to node 1's cluster if peer discovery did not (it boots alone when it finds no peer).
ensure_member() {
  local i=$1
  ctl 1 cluster_status --formatter json 2>/dev/null | grep -q "\"$(node_name "$i")\"" && return
  say "$(node_name "$i") is not clustered yet: joining it to $(node_name 1)"
  ctl "$i" stop_app >/dev/null
  ctl "$i" reset >/dev/null
  ctl "$i" join_cluster "$(node_name 1)" >/dev/null
  ctl "$i" start_app >/dev/null
}

running_nodes() {
  ctl 1 cluster_status --formatter json 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).running_nodes.length)}catch{console.log(0)}})'
}

start() {
  command -v "$bin/rabbitmq-server" >/dev/null || die "rabbitmq-server is not installed: run ./preflight.sh"
  ensure_cookie
  local i fresh=1
  [[ -d $(node_dir 1)/mnesia/$(node_name 1) ]] && fresh=0
  if [[ $fresh == 1 ]]; then
    for i in "${nodes[@]}"; do start_node "$i"; wait_node "$i"; done
  else
    for i in "${nodes[@]}"; do start_node "$i"; done
    for i in "${nodes[@]}"; do wait_node "$i"; done
  fi
  for i in 2 3; do ensure_member "$i"; done
  local n=0
  for _ in $(seq 1 60); do n=$(running_nodes); [[ $n == 3 ]] && break; sleep 1; done
  [[ $n == 3 ]] || die "the cluster has $n running nodes, not 3: scripts/rabbitmq-cluster.sh status"
  say "three nodes running and clustered"
  echo "AMQP_URL=$(url)"
}

stop_node() {
  local i=$1 d pid
  d=$(node_dir "$i")
  running "$i" || return 0
  pid=$(cat "$d/pid")
  say "stopping $(node_name "$i")"
  # `stop <pidfile>` returns once the OS process is gone; if the node does not answer, kill it.
  ctl "$i" stop "$d/pid" >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$(node_name "$i") did not stop in 30 s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$d/pid"
}

stop() {
  local i
  # The reverse of start, so that node 1, the one a fresh start boots first, is the last to leave.
  for i in 3 2 1; do stop_node "$i"; done
  # The Erlang VMs detach from this script; ours are the ones whose home is this folder (the cookie).
  local left
  left=$(vms)
  if [[ -n $left ]]; then
    # A VM without a pid file (killed start, lost pid file): nothing of ours may outlive stop.
    say "killing leftover VMs of this cluster: $left"
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $left 2>/dev/null || true
    sleep 1
    left=$(vms)
  fi
  [[ -z $left ]] || die "still running after stop: pids $left"
  say "stopped"
}

status() {
  local i up=0
  for i in "${nodes[@]}"; do
    if running "$i"; then
      up=$((up + 1))
      echo "$(node_name "$i"): running (pid $(cat "$(node_dir "$i")/pid"), AMQP $(amqp_port "$i"), Prometheus $(prom_port "$i"))"
    else
      echo "$(node_name "$i"): stopped"
    fi
  done
  if running 1; then ctl 1 cluster_status; fi
  [[ $up == 3 ]]
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
