#!/usr/bin/env bash
# Creates .env from .env.example, or completes an existing one: every key of .env.example that .env
# lacks is appended, with a fresh random value for the keys marked `# secret`. A key already in .env
# is never changed, so running this again (run.sh compose does, on every start) is safe.
#
# Usage: scripts/gen-env.sh [ENV_FILE]    (default: .env at the repository root)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="$root/.env.example"
env_file="${1:-$root/.env}"

[ -r "$example" ] || { echo >&2 "gen-env: $example not found"; exit 1; }

# Hex from the kernel's CSPRNG: URL-safe, so it can go into amqp:// URLs as it is.
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# The api's password format (api/src/auth.ts): scrypt:N:r:p:salt:hash, base64. Node where there is one,
# else OpenSSL 3's scrypt KDF (a Docker host need not have Node).
scrypt_hash() {
  if command -v node >/dev/null; then
    # On standard input: an argument would show in ps.
    printf '%s' "$1" | node "$root/scripts/hash-password.mjs"
    return
  fi
  local salt_hex salt_b64 hash_b64
  salt_hex="$(random_hex 16)"
  salt_b64="$(printf '%s' "$salt_hex" | xxd -r -p | base64 -w0)"
  hash_b64="$(openssl kdf -keylen 32 -kdfopt "pass:$1" -kdfopt "hexsalt:$salt_hex" -kdfopt n:131072 -kdfopt r:8 -kdfopt p:1 -binary SCRYPT | base64 -w0)"
  printf 'scrypt:131072:8:1:%s:%s\n' "$salt_b64" "$hash_b64"
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

if [ "${#added[@]}" -gt 0 ]; then
  echo "gen-env: added ${added[*]} to $env_file"
else
  echo "gen-env: $env_file already has every key"
fi
