#!/usr/bin/env bash
# The test command (npm test): builds, type-checks, then runs every layer of tests against the real
# RabbitMQ, nginx and Chromium of this machine. Run ./preflight.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

step "RabbitMQ"
if ! port_open 5672; then
  command -v rabbitmq-server >/dev/null || { echo "RabbitMQ is not running and not installed: run ./preflight.sh" >&2; exit 1; }
  echo "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || service rabbitmq-server start >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do port_open 5672 && break; sleep 1; done
fi
port_open 5672 || { echo "RabbitMQ is not reachable on 127.0.0.1:5672" >&2; exit 1; }
rabbitmq-plugins enable --quiet rabbitmq_prometheus >/dev/null 2>&1 || echo "warning: could not enable rabbitmq_prometheus"
echo "RabbitMQ is up"

step "build"
npm run --silent build

step "type-check the tests and the tools (bench, faults, monitoring generators)"
for project in tests bench faults monitoring; do npx tsc -p "$project" --noEmit; done

step "tests"
npx vitest run "$@"
