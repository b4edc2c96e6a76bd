#!/usr/bin/env bash
# Prepares this Debian/Ubuntu machine for Paredão, idempotently: system packages (Node.js if missing,
# RabbitMQ, nginx, Prometheus, Chromium for the browser tests, build tools for better-sqlite3), the npm
# dependencies (npm ci), and a .env with fresh secrets. Safe to run again: it says what it did.
#   ./preflight.sh          everything for ./run.sh and the tests
#   ./preflight.sh docker   checks Docker Engine and Compose for ./run.sh compose, writes .env
#   ./preflight.sh ansible  installs Ansible for ./run.sh ansible and checks the inventory and vault
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=scripts/load-env.sh
. scripts/load-env.sh

say() { printf '\033[1m[preflight]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[preflight] %s\033[0m\n' "$*" >&2; exit 1; }

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || die "run as root or install sudo"
  sudo_cmd=(sudo)
fi

# Debian package → a command it provides (to tell whether it is installed). prometheus-alertmanager
# also brings amtool (config checks); ./run.sh starts Alertmanager beside Prometheus.
apt_packages=(
  "nodejs:node" "npm:npm" "rabbitmq-server:rabbitmq-server" "nginx:nginx" "prometheus:prometheus" "prometheus-alertmanager:prometheus-alertmanager"
  "chromium:chromium" "python3:python3" "make:make" "g++:g++" "gettext-base:envsubst" "curl:curl"
  "shellcheck:shellcheck" "yamllint:yamllint" "ansible:ansible-playbook" "ansible-lint:ansible-lint"
)

install_system_packages() {
  local missing=()
  for entry in "${apt_packages[@]}"; do
    local pkg=${entry%%:*} cmd=${entry##*:}
    # Node.js may come from elsewhere (nvm, NodeSource): any node ≥ 20.19 will do.
    if [[ $pkg == nodejs || $pkg == npm ]] && command -v "$cmd" >/dev/null; then continue; fi
    command -v "$cmd" >/dev/null || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "system packages: all present"
    return
  fi
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these as system services on install; ./run.sh runs its own nginx and Prometheus.
  for svc in nginx prometheus prometheus-alertmanager; do
    if [[ " ${missing[*]} " == *" $svc "* ]]; then
      "${sudo_cmd[@]}" service "$svc" stop >/dev/null 2>&1 || true
    fi
  done
}

check_node() {
  local v
  v=$(node -p 'process.versions.node')
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js $v is too old: Paredão needs 20.19 or newer"
  say "node $v, npm $(npm --version)"
}

install_npm_dependencies() {
  # npm ci is the lockfile, exactly. Skip it when node_modules already matches the lockfile.
  if node scripts/deps-current.cjs; then
    say "npm dependencies: up to date"
    return
  fi
  say "installing npm dependencies (npm ci; better-sqlite3 compiles from source, about a minute)…"
  npm ci --no-audit --no-fund --loglevel=error
}

ensure_env() {
  # One mechanism for every mode: .env from .env.example, secrets filled in, existing keys kept.
  local before=""
  [[ -f .env ]] && before=$(grep -c '^ADMIN_PASSWORD=' .env || true)
  scripts/gen-env.sh | sed 's/^/[preflight] /'
  # The password itself is never printed (terminal scrollback, CI logs): it is in .env, mode 0600.
  if [[ $before != 1 ]]; then
    say "production team login (admin.html): user $(sed -n 's/^ADMIN_USER=//p' .env), password in .env (ADMIN_PASSWORD)"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }

# The proxy's nginx master reads the pair as root (proxy/Dockerfile), so a key only root may read (a
# Let's Encrypt key is 0600 in folders only root may enter) is fine, though this user may not see it.
# What must not happen is a path that does not exist: Docker would mount an empty folder in its place.
check_tls_file() {
  local name=$1 path=$2 prefix=. rest=$2
  [[ -n $path ]] || die "$name is empty: TLS_CERT_FILE and TLS_KEY_FILE go together"
  if [[ -e $path ]]; then
    [[ -f $path ]] || die "$name ($path) is not a file"
    [[ -r $path ]] || say "$name: $path is not readable by $(id -un); the proxy reads it as root"
    return
  fi
  # Not there, or inside a folder this user may not enter: walk down the path to tell which.
  [[ $path == /* ]] && prefix="" rest=${path#/}
  while [[ $rest == */* ]]; do
    prefix=$prefix/${rest%%/*}
    rest=${rest#*/}
    [[ -d $prefix ]] || die "$name ($path) does not exist: there is no folder $prefix"
    if [[ ! -x $prefix ]]; then
      say "$name: $(id -un) may not look into $prefix to check $path; the proxy reads it as root (make sure it is there)"
      return
    fi
  done
  die "$name ($path) does not exist"
}

check_docker() {
  command -v docker >/dev/null || die "docker is missing: install docker-ce and docker-compose-plugin from Docker's apt repository (docs/DEPLOY.md), or use ./run.sh ansible"
  docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (daemon stopped, or this user is not in the docker group)"
  local compose_v engine_v mem_gib need_gib=4
  compose_v=$(docker compose version --short 2>/dev/null) || die "the Docker Compose plugin (v2) is missing: apt-get install docker-compose-plugin"
  engine_v=$(docker version --format '{{.Server.Version}}')
  version_ge "${compose_v#v}" 2.24 || die "Docker Compose $compose_v is too old: 2.24 or newer (include:, --wait)"
  version_ge "$engine_v" 25.0 || die "Docker Engine $engine_v is too old: 25 or newer (healthcheck start_interval)"
  say "docker engine $engine_v, compose $compose_v"
  scripts/gen-env.sh
  # What compose will see: the environment, then .env for the keys the environment lacks.
  load_env_file .env
  # The proxy serves HTTPS (docs/SECURITY.md): a self-signed pair for a first run, unless .env names
  # the real one (TLS_CERT_FILE, TLS_KEY_FILE).
  if [[ -z ${TLS_CERT_FILE:-} ]]; then
    command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl): it makes the first TLS pair"
    scripts/self-signed-cert.sh deploy/tls "$(hostname -f 2>/dev/null || hostname)" | sed 's/^/[preflight] /'
  else
    check_tls_file TLS_CERT_FILE "$TLS_CERT_FILE"
    check_tls_file TLS_KEY_FILE "${TLS_KEY_FILE:-}"
  fi
  if [[ ,${COMPOSE_PROFILES:-}, == *,logging,* ]]; then
    need_gib=8
    local mmc
    mmc=$(sysctl -n vm.max_map_count)
    (( mmc >= 262144 )) || die "vm.max_map_count is $mmc; OpenSearch (profile logging) needs 262144: sudo sysctl -w vm.max_map_count=262144"
  fi
  mem_gib=$(awk '/^MemTotal:/ { print int($2 / 1048576) }' /proc/meminfo)
  (( mem_gib >= need_gib )) || say "warning: ${mem_gib} GiB of memory; the stack wants ${need_gib} GiB"
  ! port_open "${HTTP_PORT:-8080}" || die "port ${HTTP_PORT:-8080} is in use: set HTTP_PORT (environment or .env)"
  say "ready: ./run.sh compose up"
}

check_ansible() {
  local missing=()
  command -v ansible-playbook >/dev/null || missing+=(ansible)
  command -v ansible-lint >/dev/null || missing+=(ansible-lint)
  command -v rsync >/dev/null || missing+=(rsync)
  if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # The collections ansible/requirements.yml declares (Debian's ansible package bundles them).
  for c in $(sed -n 's/^ *- name: *//p' ansible/requirements.yml); do
    ansible-galaxy collection list "$c" 2>/dev/null | grep -q "^$c " || die "Ansible collection $c is missing: ansible-galaxy collection install -r ansible/requirements.yml"
  done
  ansible-playbook --syntax-check -i ansible/inventory.example.ini ansible/site.yml >/dev/null || die "ansible/site.yml does not pass --syntax-check"
  [[ -f ansible/inventory.ini ]] || say "next: cp ansible/inventory.example.ini ansible/inventory.ini and list your hosts"
  local vault=ansible/group_vars/all/vault.yml
  if [[ -f $vault ]]; then
    head -c 14 "$vault" | grep -q '^.ANSIBLE_VAULT;' || die "$vault is not encrypted: ansible-vault encrypt $vault"
  else
    say "next: cp $vault.example $vault, fill it in, ansible-vault encrypt $vault"
  fi
  say "ready: ./run.sh ansible"
}

case "${1:-local}" in
  docker) check_docker ;;
  ansible) check_ansible ;;
  local)
    install_system_packages
    check_node
    install_npm_dependencies
    ensure_env
    say "ready: ./run.sh to run the system, npm test to run the tests"
    ;;
  -h|--help|help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown mode '$1' (try ./preflight.sh --help)" ;;
esac
