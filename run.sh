#!/usr/bin/env bash
# Runs Paredão.
#   ./run.sh            the whole system on this machine, no Docker: RabbitMQ (started if needed),
#                       consumer, api, nginx on http://localhost:${HTTP_PORT:-8080}, supervised;
#                       Ctrl-C stops everything it started.
#   RABBITMQ_CLUSTER=1 ./run.sh   the same on a local three-node RabbitMQ cluster (scripts/rabbitmq-cluster.sh,
#                       started if needed and left running: scripts/rabbitmq-cluster.sh stop)
#   ./run.sh compose [up|down|logs|ps]   the whole stack in Docker Compose (docs/DEPLOY.md)
#   ./run.sh compose smoke  checks the running stack end to end: a vote, Grafana, Graylog, alerts
#   ./run.sh ansible [playbook options]  deploy to the hosts of ansible/inventory.ini
# Run ./preflight.sh once first. Configuration: environment or .env (see .env.example, README).
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

say() { printf '\033[1m[run]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[run] %s\033[0m\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# shellcheck source=scripts/load-env.sh
. scripts/load-env.sh

load_env() {
  # The same .env for every mode: created from .env.example with fresh secrets, existing keys kept.
  # A variable set in the environment wins over .env (HTTP_PORT=8081 ./run.sh).
  scripts/gen-env.sh >/dev/null
  load_env_file .env
}

run_local() {
  command -v node >/dev/null || die "node is missing: run ./preflight.sh"
  command -v nginx >/dev/null || die "nginx is missing: run ./preflight.sh"
  [[ -d node_modules ]] || die "dependencies are missing: run ./preflight.sh"
  load_env
  export HTTP_PORT="${HTTP_PORT:-8080}" API_PORT="${API_PORT:-3000}" CONSUMER_PORT="${CONSUMER_PORT:-3001}"
  for p in "$HTTP_PORT" "$API_PORT" "$CONSUMER_PORT"; do
    port_open "$p" && die "port $p is already in use (another ./run.sh?); set HTTP_PORT/API_PORT/CONSUMER_PORT"
  done
  if [[ ${RABBITMQ_CLUSTER:-0} == 1 ]]; then
    # Three local nodes instead of the machine's broker; api and consumer get every node's address.
    scripts/rabbitmq-cluster.sh start >/dev/null
    AMQP_URL=$(scripts/rabbitmq-cluster.sh url)
    export AMQP_URL
    say "RabbitMQ: three-node cluster on ports 5681-5683 (stop it with scripts/rabbitmq-cluster.sh stop)"
  else
    scripts/ensure-rabbitmq.sh | sed 's/^/[run] /'
  fi
  say "building (TypeScript and the web pages)…"
  npm run --silent build >/dev/null || die "build failed: run 'npm run build' to see why"
  local run_dir
  run_dir="$root/run/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$run_dir"
  ln -sfn "$run_dir" "$root/run/current"
  # nginx reaches the api over a Unix socket in the run folder (API_SOCKET= for TCP only).
  if [[ -z ${API_SOCKET+set} ]]; then export API_SOCKET="$run_dir/api.sock"; fi
  if [[ -z $API_SOCKET ]]; then unset API_SOCKET; fi
  proxy/render-local.sh "$run_dir" >/dev/null
  nginx -t -q -c "$run_dir/nginx.conf" -p "$run_dir" || die "nginx config invalid (see above)"
  # Prometheus scrapes the local processes; its config comes from the same job list as compose's.
  local prometheus=()
  export PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
  if ! command -v prometheus >/dev/null; then
    say "prometheus is not installed (./preflight.sh installs it): running without metrics storage"
  elif port_open "$PROMETHEUS_PORT"; then
    say "port $PROMETHEUS_PORT is taken: not starting Prometheus (set PROMETHEUS_PORT)"
  else
    node --import tsx monitoring/prometheus/render-local.ts "$run_dir/prometheus.yml" >/dev/null
    prometheus=(--service prometheus -- prometheus --config.file="$run_dir/prometheus.yml"
      --storage.tsdb.path="$root/run/prometheus-data" --storage.tsdb.retention.time=7d
      --web.listen-address="127.0.0.1:$PROMETHEUS_PORT")
  fi
  # Alertmanager beside it (Prometheus's config points at ALERTMANAGER_PORT): routes and inhibitions
  # from monitoring/alertmanager/config.ts, notifications to ALERT_WEBHOOK_URL.
  local alertmanager=()
  export ALERTMANAGER_PORT="${ALERTMANAGER_PORT:-9093}"
  if ! command -v prometheus-alertmanager >/dev/null; then
    say "prometheus-alertmanager is not installed (./preflight.sh installs it): alerts go nowhere"
  elif port_open "$ALERTMANAGER_PORT"; then
    say "port $ALERTMANAGER_PORT is taken: not starting Alertmanager (set ALERTMANAGER_PORT)"
  else
    node --import tsx monitoring/alertmanager/render-local.ts "$run_dir/alertmanager.yml" >/dev/null \
      || die "ALERT_WEBHOOK_URL is not usable (see above)"
    # --cluster.listen-address= : one instance, no gossip port (9094) to collide with.
    alertmanager=(--service alertmanager -- prometheus-alertmanager --config.file="$run_dir/alertmanager.yml"
      --storage.path="$root/run/alertmanager-data" --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT"
      --cluster.listen-address=)
  fi
  say "logs: $run_dir/{consumer,api,proxy}.log (nginx access log: nginx-access.log)"
  say "site:     http://localhost:$HTTP_PORT/"
  say "results:  http://localhost:$HTTP_PORT/api/results   panel: http://localhost:$HTTP_PORT/painel.html"
  say "api docs: http://localhost:$HTTP_PORT/api/docs   metrics: http://127.0.0.1:$API_PORT/metrics, http://127.0.0.1:$CONSUMER_PORT/metrics"
  [[ ${#prometheus[@]} -gt 0 ]] && say "prometheus: http://127.0.0.1:$PROMETHEUS_PORT/ (alerts, graphs; dashboards: docs/MONITORING.md)"
  [[ ${#alertmanager[@]} -gt 0 ]] && say "alertmanager: http://127.0.0.1:$ALERTMANAGER_PORT/ (webhook: ${ALERT_WEBHOOK_URL:-none, set ALERT_WEBHOOK_URL})"
  say "admin:    http://localhost:$HTTP_PORT/admin.html (login in .env: ADMIN_USER / ADMIN_PASSWORD)"
  say "Ctrl-C stops everything."
  exec node scripts/supervise.mjs --run-dir "$run_dir" \
    --service consumer -- node consumer/dist/main.js \
    --service api -- node api/dist/main.js \
    --service proxy -- nginx -c "$run_dir/nginx.conf" -p "$run_dir" \
    "${prometheus[@]}" "${alertmanager[@]}"
}

# ./run.sh compose [up|down|logs|ps|smoke] [options…]: the stack in Docker (docs/DEPLOY.md).
run_compose() {
  command -v docker >/dev/null || die "docker is missing: run ./preflight.sh docker"
  docker compose version >/dev/null 2>&1 || die "the Docker Compose plugin (v2) is missing: run ./preflight.sh docker"
  scripts/gen-env.sh >/dev/null
  local action=${1:-up}
  [[ $# -gt 0 ]] && shift
  case "$action" in
    up)
      load_env_file .env
      # One-shot jobs in COMPOSE_PROFILES would make `up --wait` fail (docker/compose#10596).
      for p in loadtest logging-setup; do
        if [[ ,${COMPOSE_PROFILES:-}, == *,$p,* ]]; then
          die "remove $p from COMPOSE_PROFILES: its job runs with 'docker compose run --rm', not 'up'"
        fi
      done
      # The proxy serves HTTPS: a self-signed pair for a first run unless .env names the real one.
      [[ -n ${TLS_CERT_FILE:-} ]] || scripts/self-signed-cert.sh deploy/tls >/dev/null
      docker compose up --detach --build --wait "$@"
      # A one-shot job, run apart from `up` (`up --wait` fails on a service that exits,
      # docker/compose#10596); idempotent.
      if [[ ,${COMPOSE_PROFILES:-}, == *,logging,* ]]; then
        docker compose run --rm graylog-provision
      fi
      # Grafana applies GF_SECURITY_ADMIN_PASSWORD only when it creates its database (first start of
      # the grafana-data volume); this makes a changed GRAFANA_ADMIN_PASSWORD in .env take effect.
      # stdin keeps it out of the process list (grafana cli, reset_password_command.go).
      docker compose exec -T grafana grafana cli admin reset-admin-password --password-from-stdin \
        <<<"$GRAFANA_ADMIN_PASSWORD" >/dev/null || die "could not set Grafana's admin password"
      say "site:       https://localhost:${HTTPS_PORT:-8443}/   results: https://localhost:${HTTPS_PORT:-8443}/api/results"
      [[ -n ${TLS_CERT_FILE:-} ]] || say "TLS:        self-signed (deploy/tls/), browsers warn; set TLS_CERT_FILE/TLS_KEY_FILE for a real pair"
      say "grafana:    http://127.0.0.1:${GRAFANA_PORT:-3000}/   prometheus: http://127.0.0.1:${PROMETHEUS_PORT:-9090}/   alertmanager: http://127.0.0.1:${ALERTMANAGER_PORT:-9093}/"
      say "rabbitmq:   http://127.0.0.1:${RABBITMQ_MANAGEMENT_PORT:-15672}/   logins: .env (docs/DEPLOY.md)"
      ;;
    down) exec docker compose down "$@" ;;
    logs) exec docker compose logs --follow --tail=200 "$@" ;;
    ps) exec docker compose ps "$@" ;;
    smoke)
      # scripts/compose-smoke.ts: one ✓/✗ line per check, exit 1 on any ✗ (docs/DEPLOY.md). It solves
      # a proof of work and calls the APIs with Node, so it needs this checkout's npm dependencies.
      command -v node >/dev/null || die "node is missing: the smoke check runs with Node.js 20.19+ (./preflight.sh)"
      [[ -d node_modules/tsx ]] || die "npm dependencies are missing: run 'npm ci' first"
      load_env_file .env
      exec node --import tsx scripts/compose-smoke.ts "$@"
      ;;
    *) die "usage: ./run.sh compose [up|down|logs|ps|smoke] [options…]" ;;
  esac
}

# ./run.sh ansible [ansible-playbook options…]: deploy to the hosts in ansible/inventory.ini.
run_ansible() {
  command -v ansible-playbook >/dev/null || die "ansible is missing: run ./preflight.sh ansible"
  [[ -f ansible/inventory.ini ]] || die "no ansible/inventory.ini: copy ansible/inventory.example.ini and list your hosts"
  [[ -f ansible/group_vars/all/vault.yml ]] || die "no ansible/group_vars/all/vault.yml: see ansible/group_vars/all/vault.yml.example"
  local vault=(--ask-vault-pass)
  [[ -n ${ANSIBLE_VAULT_PASSWORD_FILE:-} ]] && vault=()
  cd ansible
  exec ansible-playbook site.yml "${vault[@]}" "$@"
}

case "${1:-local}" in
  local) run_local ;;
  compose) shift; run_compose "$@" ;;
  ansible) shift; run_ansible "$@" ;;
  -h|--help|help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown mode '$1' (try ./run.sh --help)" ;;
esac
