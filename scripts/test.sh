#!/usr/bin/env bash
# The test command (npm test): builds, type-checks, then runs every layer of tests against the real
# RabbitMQ, nginx and Chromium of this machine. Run ./preflight.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "RabbitMQ"
scripts/ensure-rabbitmq.sh

step "build"
npm run --silent build

step "type-check the tests and the tools (bench, faults, monitoring generators)"
for project in tests bench faults monitoring; do npx tsc -p "$project" --noEmit; done

step "tests"
npx vitest run "$@"
