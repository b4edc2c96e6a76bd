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

step "type-check everything (tsconfig.json: every workspace, the tests and the tools)"
npx tsc -b

step "tests"
npx vitest run "$@"
