#!/usr/bin/env bash
# Creates .env from .env.example, or completes an existing one: every key of .env.example that .env
# lacks is appended, with a fresh random value for the keys marked `# secret`. A key already in .env
# is never changed, so running this again (run.sh compose does, on every start) is safe.
#
# Usage: scripts/gen-env.sh [ENV_FILE]    (default: .env at the repository root)
set -euo pipefail
# Without it, a failure inside $(…) is ignored and its partial output is written to .env as a value.
shopt -s inherit_errexit

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="$root/.env.example"
env_file="${1:-$root/.env}"
params_ts="$root/api/src/admin/password-hash.ts"

[ -r "$example" ] || { echo >&2 "gen-env: $example not found"; exit 1; }

# Hex from the kernel's CSPRNG: URL-safe, so it can go into amqp:// URLs as it is.
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# The scrypt N, r and p of api/src/admin/password-hash.ts (SCRYPT_PARAMS), read from there so that the api and this
# script cannot drift apart. N may be written as a number or a power (2 ** 15).
scrypt_params() {
  local line n r p
  line="$(grep -m1 -E '^export const SCRYPT_PARAMS = \{' "$params_ts")" || { echo >&2 "gen-env: SCRYPT_PARAMS not found in $params_ts"; return 1; }
  n="$(printf '%s' "$line" | sed -nE 's/.*[{,] *N: *([0-9 *]+) *,.*/\1/p')"
  r="$(printf '%s' "$line" | sed -nE 's/.*, *r: *([0-9]+) *[,}].*/\1/p')"
  p="$(printf '%s' "$line" | sed -nE 's/.*, *p: *([0-9]+) *[,}].*/\1/p')"
  [[ -n $n && -n $r && -n $p ]] || { echo >&2 "gen-env: cannot read N, r and p from: $line"; return 1; }
  printf '%s %s %s\n' "$((n))" "$r" "$p"
}

# The api's password format (api/src/admin/password-hash.ts): scrypt:N:r:p:salt:hash, base64. OpenSSL 3's scrypt
# (openssl is already needed for the TLS pair) and coreutils only: a Docker host need not have Node
# or xxd. A machine without openssl (a bare local run) uses Node's. The password goes to either on
# standard input, never in the arguments (ps shows those).
scrypt_hash() {
  local params n r p salt_hex salt_b64 hash_b64
  params="$(scrypt_params)"
  read -r n r p <<< "$params"
  if ! command -v openssl >/dev/null && command -v node >/dev/null; then
    # shellcheck disable=SC2016 # JavaScript in single quotes, its ${…} are a template literal's
    printf '%s' "$1" | node -e '
      const { randomBytes, scryptSync } = require("node:crypto");
      const [N, r, p] = process.argv.slice(1).map(Number);
      const salt = randomBytes(16);
      const hash = scryptSync(require("node:fs").readFileSync(0, "utf8"), salt, 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
      console.log(`scrypt:${N}:${r}:${p}:${salt.toString("base64")}:${hash.toString("base64")}`);' "$n" "$r" "$p"
    return
  fi
  salt_hex="$(random_hex 16)"
  # Bytes from hex with printf's \xHH escapes (the builtin writes NUL bytes too).
  salt_b64="$(printf '%b' "$(printf '%s' "$salt_hex" | sed 's/../\\x&/g')" | base64 -w0)"
  hash_b64="$(printf '%s\n' "$1" | openssl pkeyutl -kdf scrypt -kdflen 32 -pkeyopt "hexsalt:$salt_hex" \
    -pkeyopt "N:$n" -pkeyopt "r:$r" -pkeyopt "p:$p" -pkeyopt_passin pass:stdin | base64 -w0)"
  [[ ${#salt_b64} -eq 24 && ${#hash_b64} -eq 44 ]] || { echo >&2 "gen-env: scrypt gave no hash"; return 1; }
  printf 'scrypt:%s:%s:%s:%s:%s\n' "$n" "$r" "$p" "$salt_b64" "$hash_b64"
}

sha256_of() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# The value of KEY in the env file, or nothing.
current() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }

has_key() { grep -q "^$1=" "$env_file"; }

secret_value() {
  case "$1" in
    GRAYLOG_PASSWORD_SECRET) random_hex 48 ;; # Graylog wants at least 64 characters
    GRAYLOG_ROOT_PASSWORD_SHA2)
      local password
      password="$(current GRAYLOG_ROOT_PASSWORD)"
      if [ -z "$password" ]; then
        echo >&2 "gen-env: GRAYLOG_ROOT_PASSWORD is empty; cannot derive GRAYLOG_ROOT_PASSWORD_SHA2"
        return 1
      fi
      sha256_of "$password"
      ;;
    ADMIN_PASSWORD_HASH)
      local password
      password="$(current ADMIN_PASSWORD)"
      [ -n "$password" ] || { echo >&2 "gen-env: ADMIN_PASSWORD is empty; cannot derive ADMIN_PASSWORD_HASH"; return 1; }
      scrypt_hash "$password"
      ;;
    *) random_hex 24 ;;
  esac
}

umask 077
if [ ! -e "$env_file" ]; then
  : > "$env_file"
  echo "gen-env: created $env_file"
fi
chmod 600 "$env_file"

added=()
is_secret=0
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    '# secret'*) is_secret=1; continue ;;
    '#'* | '') continue ;;
  esac
  key="${line%%=*}"
  default="${line#*=}"
  if ! has_key "$key"; then
    value="$default"
    if [ "$is_secret" = 1 ] && [ -z "$value" ]; then
      value="$(secret_value "$key")"
    fi
    # Appended one at a time: a later secret (the SHA-256) may derive from an earlier one.
    if [ -s "$env_file" ] && [ -n "$(tail -c 1 "$env_file")" ]; then echo >> "$env_file"; fi
    printf '%s=%s\n' "$key" "$value" >> "$env_file"
    added+=("$key")
  fi
  is_secret=0
done < "$example"

# An earlier gen-env on a host without xxd wrote a hash with an empty salt, which the api refuses at
# start; since keys are never rewritten, it would stay. A value that is not the format at all is
# derived again from ADMIN_PASSWORD (an empty one means administration off and is left alone).
hash="$(current ADMIN_PASSWORD_HASH)"
if [[ -n $hash && ! $hash =~ ^scrypt:[0-9]+:[0-9]+:[0-9]+:[A-Za-z0-9+/]{22,}={0,2}:[A-Za-z0-9+/]{43,}={0,2}$ ]]; then
  password="$(current ADMIN_PASSWORD)"
  [ -n "$password" ] || { echo >&2 "gen-env: ADMIN_PASSWORD_HASH in $env_file is malformed and ADMIN_PASSWORD is empty"; exit 1; }
  hash="$(scrypt_hash "$password")"
  sed "s|^ADMIN_PASSWORD_HASH=.*|ADMIN_PASSWORD_HASH=$hash|" "$env_file" > "$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
  echo "gen-env: ADMIN_PASSWORD_HASH was malformed; derived again from ADMIN_PASSWORD"
fi

if [ "${#added[@]}" -gt 0 ]; then
  echo "gen-env: added ${added[*]} to $env_file"
else
  echo "gen-env: $env_file already has every key"
fi
