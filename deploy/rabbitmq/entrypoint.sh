#!/usr/bin/env bash
# Writes the broker's users from the environment as a definitions file, next to a copy of the
# committed topology, then runs the image's own entrypoint. RabbitMQ hashes the plain-text passwords
# when it imports the file; the file lives only inside the container.
#
# Least privilege (docs/SECURITY.md): one user per role.
#   RABBITMQ_USER          the operator: management UI (administrator), used by no service
#   paredao-api            publishes votes; cannot consume, declare or delete anything
#   paredao-consumer       consumes the vote queue; cannot publish, declare or delete anything
# The topology comes from definitions.json at boot; the services only check it
# (AMQP_DECLARE_TOPOLOGY=false in docker-compose.yml), so neither needs configure.
set -euo pipefail

: "${RABBITMQ_USER:?RABBITMQ_USER is required (scripts/gen-env.sh writes it to .env)}"
: "${RABBITMQ_PASSWORD:?RABBITMQ_PASSWORD is required (scripts/gen-env.sh writes it to .env)}"
: "${RABBITMQ_API_PASSWORD:?RABBITMQ_API_PASSWORD is required (scripts/gen-env.sh writes it to .env)}"
: "${RABBITMQ_CONSUMER_PASSWORD:?RABBITMQ_CONSUMER_PASSWORD is required (scripts/gen-env.sh writes it to .env)}"

# The values go into JSON strings below unescaped, so refuse anything that would need escaping.
for value in "$RABBITMQ_USER" "$RABBITMQ_PASSWORD" "$RABBITMQ_API_PASSWORD" "$RABBITMQ_CONSUMER_PASSWORD"; do
  if [[ ! "$value" =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo >&2 "paredao-entrypoint: RABBITMQ_USER and the RabbitMQ passwords may only use A-Z a-z 0-9 . _ ~ -"
    exit 64
  fi
done

# Must match definitions.local.path in rabbitmq.conf.
dir="${PAREDAO_DEFINITIONS_DIR:-/tmp/rabbitmq-definitions}"
umask 077
mkdir -p "$dir"
cp "${PAREDAO_TOPOLOGY_FILE:-/etc/rabbitmq/definitions.json}" "$dir/20-topology.json"
# What each service does (core/src/topology.ts checkTopology, api/src/votes/publisher.ts, consumer/src/consumer.ts):
#   check votes.in, votes.dlx, votes.dead, votes (passive)   no permission
#   api: publish to the exchange votes.in (bound to votes)   write votes.in only (not amq.default, which
#                                                            reaches every queue by name, votes.dead too)
#   consumer: consume and ack votes                          read votes
# Dead-lettering is done by the broker itself and needs no permission.
cat > "$dir/10-users.json" <<JSON
{
  "users": [
    { "name": "${RABBITMQ_USER}", "password": "${RABBITMQ_PASSWORD}", "tags": ["administrator"] },
    { "name": "paredao-api", "password": "${RABBITMQ_API_PASSWORD}", "tags": [] },
    { "name": "paredao-consumer", "password": "${RABBITMQ_CONSUMER_PASSWORD}", "tags": [] }
  ],
  "vhosts": [{ "name": "/" }],
  "permissions": [
    { "user": "${RABBITMQ_USER}", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*" },
    { "user": "paredao-api", "vhost": "/", "configure": "^\$", "write": "^votes\\\\.in\$", "read": "^\$" },
    { "user": "paredao-consumer", "vhost": "/", "configure": "^\$", "write": "^\$", "read": "^votes\$" }
  ]
}
JSON
# Three-node option (deploy/rabbitmq/docker-compose.cluster.yml): every node and CLI tool must share
# one Erlang cookie. RabbitMQ reads it from the node's .erlang.cookie (the image links root's to it);
# the environment variable itself is deprecated, so it is written to the file and dropped.
if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
  if [[ ! "$RABBITMQ_ERLANG_COOKIE" =~ ^[A-Za-z0-9]{20,255}$ ]]; then
    echo >&2 "paredao-entrypoint: RABBITMQ_ERLANG_COOKIE must be 20 to 255 letters and digits"
    exit 64
  fi
  cookie="${PAREDAO_ERLANG_COOKIE_FILE:-/var/lib/rabbitmq/.erlang.cookie}"
  printf '%s' "$RABBITMQ_ERLANG_COOKIE" > "$cookie"
  chmod 400 "$cookie"
  if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then chown rabbitmq:rabbitmq "$cookie"; fi
  unset RABBITMQ_ERLANG_COOKIE
fi

# The image's entrypoint drops from root to the rabbitmq user before starting the node.
if [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1; then
  chown -R rabbitmq:rabbitmq "$dir"
fi

exec docker-entrypoint.sh "$@"
