#!/bin/sh
# MongoDB for the CI test job, as compose runs it: the image compose pins, a single-node replica set
# (the store's transactions need one), reachable as mongo:27017 on the job's Docker network.
# GitHub's `services:` cannot pass arguments to a container, and a replica set needs --replSet, so a
# step starts it through the runner's Docker socket (the step runs in a docker:*-cli image).
#   mongo-replica-set.sh start   NETWORK (the job's network) and MONGO_IMAGE must be set
#   mongo-replica-set.sh stop
set -eu
name=paredao-ci-mongo
alias=mongo

case "${1:-}" in
  start)
    : "${NETWORK:?set NETWORK to the job network (job.container.network)}"
    : "${MONGO_IMAGE:?set MONGO_IMAGE (the image docker-compose.yml pins for mongo)}"
    docker run --detach --name "$name" --network "$NETWORK" --network-alias "$alias" \
      "$MONGO_IMAGE" --replSet rs0 --bind_ip_all >/dev/null
    shell() { docker exec "$name" mongosh --quiet --norc --eval "$1"; }
    i=0
    until shell 'db.adminCommand({ ping: 1 }).ok' >/dev/null 2>&1; do
      i=$((i + 1))
      if [ "$i" -ge 60 ]; then docker logs "$name" | tail -n 50; echo "MongoDB did not answer within 60 s" >&2; exit 1; fi
      sleep 1
    done
    # The member's address is the one clients use: the driver connects to the hosts the set lists.
    shell "rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: '$alias:27017' }] })" >/dev/null
    i=0
    until [ "$(shell 'db.hello().isWritablePrimary' 2>/dev/null)" = true ]; do
      i=$((i + 1))
      if [ "$i" -ge 60 ]; then docker logs "$name" | tail -n 50; echo "MongoDB did not become primary within 60 s" >&2; exit 1; fi
      sleep 1
    done
    echo "MongoDB $MONGO_IMAGE: replica set rs0 primary at $alias:27017"
    ;;
  stop)
    docker rm --force "$name" >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
