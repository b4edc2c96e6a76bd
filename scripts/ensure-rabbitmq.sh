#!/usr/bin/env bash
# Makes sure the local RabbitMQ answers on 127.0.0.1:5672, starting it if it is installed but stopped,
# and that its Prometheus plugin (:15692) is on. Used by ./run.sh and by the test command.
#   scripts/ensure-rabbitmq.sh              as above
#   scripts/ensure-rabbitmq.sh config DIR   only write the extra config it starts the broker with into DIR
#
# The Prometheus endpoint lists queues, connections and users: it listens on loopback only. That is
# set in a conf.d folder of our own (RABBITMQ_CONFIG_FILES) when this script starts the broker itself.
# A broker that is already running (the machine's service) is never restarted or reconfigured: if its
# endpoint listens beyond loopback, the script says so and how to change it.
set -euo pipefail
cd "$(dirname "$0")/.."

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
amqp_port=5672
prometheus_port=15692

# The machine's own conf.d files (if any) are copied too: RABBITMQ_CONFIG_FILES replaces that folder.
write_config() {
  local dir=$1 f
  mkdir -p "$dir"
  for f in /etc/rabbitmq/conf.d/*.conf; do [[ -e $f ]] && cp "$f" "$dir/"; done
  cat > "$dir/90-paredao-local.conf" <<CONF
# Written by scripts/ensure-rabbitmq.sh: the Prometheus endpoint on loopback only.
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $prometheus_port
CONF
  # The broker runs as its own user (Debian's wrapper): it must be able to read the folder.
  chmod 755 "$dir"
  chmod 644 "$dir"/*.conf
}

if [[ ${1:-} == config ]]; then
  write_config "${2:?usage: scripts/ensure-rabbitmq.sh config DIR}"
  exit 0
fi

if ! port_open "$amqp_port"; then
  command -v rabbitmq-server >/dev/null || { echo "RabbitMQ is not running and not installed: run ./preflight.sh" >&2; exit 1; }
  conf_dir=$(realpath -m run/rabbitmq-local/conf.d)
  write_config "$conf_dir"
  echo "starting RabbitMQ (extra config: $conf_dir)"
  RABBITMQ_CONFIG_FILES="$conf_dir" rabbitmq-server -detached >/dev/null 2>&1 || service rabbitmq-server start >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do port_open "$amqp_port" && break; sleep 1; done
  port_open "$amqp_port" || { echo "RabbitMQ did not open port $amqp_port within 60 s" >&2; exit 1; }
fi
# Enabling an enabled plugin is a no-op.
rabbitmq-plugins enable --quiet rabbitmq_prometheus >/dev/null 2>&1 || echo "warning: could not enable rabbitmq_prometheus (the broker's metrics will be missing)"
if command -v ss >/dev/null && ss -Hltn "sport = :$prometheus_port" 2>/dev/null | awk '{print $4}' | grep -qvE '^(127\.0\.0\.1|\[::1\]):'; then
  echo "warning: RabbitMQ's Prometheus endpoint :$prometheus_port listens beyond loopback (a broker this script did not start);" \
    "add 'prometheus.tcp.ip = 127.0.0.1' to /etc/rabbitmq/rabbitmq.conf and restart it when convenient"
fi
echo "RabbitMQ is up"
