#!/usr/bin/env bash
# MongoDB with authentication (least privilege): writes the replica set's keyfile from the
# environment, then runs the image's own entrypoint. A replica set with access control needs a keyfile
# for its members to authenticate each other, even with one member; mongod refuses a keyfile that
# others can read, so it is mode 0400, owned by the image's mongodb user (999).
set -euo pipefail

: "${MONGO_KEYFILE_SECRET:?MONGO_KEYFILE_SECRET is required (scripts/gen-env.sh writes it to .env)}"
# A keyfile holds 6 to 1024 characters of the base64 set. The Ansible stack role checks the vault
# against the same rule (stack_mongo_keyfile_pattern), so a deploy never writes a value refused here.
if [[ ! "$MONGO_KEYFILE_SECRET" =~ ^[A-Za-z0-9+/=]{6,1024}$ ]]; then
  echo >&2 "paredao-mongo-entrypoint: MONGO_KEYFILE_SECRET must be 6 to 1024 base64 characters"
  exit 64
fi
keyfile="${PAREDAO_MONGO_KEYFILE:-/tmp/mongo-keyfile}"
umask 077
printf '%s\n' "$MONGO_KEYFILE_SECRET" > "$keyfile"
chmod 0400 "$keyfile"
if [ "$(id -u)" = 0 ] && id mongodb >/dev/null 2>&1; then
  chown mongodb:mongodb "$keyfile"
fi

exec docker-entrypoint.sh "$@"
