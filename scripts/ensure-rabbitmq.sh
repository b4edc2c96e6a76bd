#!/usr/bin/env bash
# Makes sure the local RabbitMQ answers on 127.0.0.1:5672, starting it if it is installed but stopped,
# and that its Prometheus plugin (:15692) is on. Used by ./run.sh and by the test command.
set -euo pipefail

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
amqp_port=5672

if ! port_open "$amqp_port"; then
  command -v rabbitmq-server >/dev/null || { echo "RabbitMQ is not running and not installed: run ./preflight.sh" >&2; exit 1; }
  echo "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || service rabbitmq-server start >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do port_open "$amqp_port" && break; sleep 1; done
  port_open "$amqp_port" || { echo "RabbitMQ did not open port $amqp_port within 60 s" >&2; exit 1; }
fi
# Enabling an enabled plugin is a no-op.
rabbitmq-plugins enable --quiet rabbitmq_prometheus >/dev/null 2>&1 || echo "warning: could not enable rabbitmq_prometheus (the broker's metrics will be missing)"
echo "RabbitMQ is up"
