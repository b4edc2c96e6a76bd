#!/bin/sh
# Writes the RabbitMQ scrape targets for Prometheus (file_sd, prometheus.compose.yml) from the list of
# AMQP URLs the services use, so Prometheus scrapes exactly the brokers the services talk to: the
# compose node, the three of the cluster override, or the external hosts of Ansible's rabbitmq group.
# Run by the one-shot compose service prometheus-targets before Prometheus starts. Only host names
# leave this script: the URLs' users and passwords stay here.
#   BROKER_URLS           amqp[s]://user:pass@host:port,… (comma-separated)
#   BROKER_METRICS_PORT   rabbitmq_prometheus's port (15692)
#   TARGETS_FILE          where to write (/targets/rabbitmq.json)
set -eu

urls=${BROKER_URLS:?BROKER_URLS is empty: the AMQP URLs of the brokers}
port=${BROKER_METRICS_PORT:-15692}
out=${TARGETS_FILE:-/targets/rabbitmq.json}

targets=""
old_ifs=$IFS
IFS=,
for url in $urls; do
  IFS=$old_ifs
  hostport=${url#*://}      # drop the scheme
  hostport=${hostport##*@}  # drop user:password@ (a password may hold no @: gen-env makes hex)
  hostport=${hostport%%/*}  # drop a vhost path
  hostport=${hostport%%\?*} # and a query
  case $hostport in
    \[*\]*) host=${hostport%%]*}] ;; # [IPv6]:port
    *) host=${hostport%%:*} ;;
  esac
  case $host in
    "" | *[!A-Za-z0-9.:\[\]-]*)
      echo "broker-targets: no host name in one of BROKER_URLS" >&2
      exit 1
      ;;
  esac
  case ",$targets," in
    *",\"$host:$port\","*) ;;
    *) targets="${targets:+$targets,}\"$host:$port\"" ;;
  esac
  IFS=,
done
IFS=$old_ifs
[ -n "$targets" ] || { echo "broker-targets: BROKER_URLS names no broker" >&2; exit 1; }

# Written aside, then renamed: Prometheus watches the file and must never read half of it.
printf '[{"targets":[%s]}]\n' "$targets" > "$out.tmp"
chmod 644 "$out.tmp"
mv "$out.tmp" "$out"
echo "broker-targets: $targets"
