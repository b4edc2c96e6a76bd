#!/usr/bin/env bash
# Writes the application user from the environment as a definitions file, next to a copy of the
# committed topology, then runs the image's own entrypoint. RabbitMQ hashes the plain-text password
# when it imports the file; the file lives only inside the container.
set -euo pipefail

: "${RABBITMQ_USER:?RABBITMQ_USER is required (scripts/gen-env.sh writes it to .env)}"
: "${RABBITMQ_PASSWORD:?RABBITMQ_PASSWORD is required (scripts/gen-env.sh writes it to .env)}"

# Both values go into JSON strings below unescaped, so refuse anything that would need escaping.
for value in "$RABBITMQ_USER" "$RABBITMQ_PASSWORD"; do
  if [[ ! "$value" =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo >&2 "paredao-entrypoint: RABBITMQ_USER and RABBITMQ_PASSWORD may only use A-Z a-z 0-9 . _ ~ -"
    exit 64
  fi
done

# Must match definitions.local.path in rabbitmq.conf.
dir="${PAREDAO_DEFINITIONS_DIR:-/tmp/rabbitmq-definitions}"
umask 077
mkdir -p "$dir"
cp "${PAREDAO_TOPOLOGY_FILE:-/etc/rabbitmq/definitions.json}" "$dir/20-topology.json"
cat > "$dir/10-users.json" <<JSON
{
  "users": [
    { "name": "${RABBITMQ_USER}", "password": "${RABBITMQ_PASSWORD}", "tags": ["administrator"] }
  ],
  "vhosts": [{ "name": "/" }],
  "permissions": [
    { "user": "${RABBITMQ_USER}", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*" }
  ]
}
JSON
# The image's entrypoint drops from root to the rabbitmq user before starting the node.
if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then
  chown -R rabbitmq:rabbitmq "$dir"
fi

exec docker-entrypoint.sh "$@"
