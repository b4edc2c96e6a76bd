#!/usr/bin/env bash
# A self-signed certificate and key for a first run with TLS (./preflight.sh docker, the TLS test):
#   scripts/self-signed-cert.sh DIR [HOSTNAME]   → DIR/cert.pem, DIR/key.pem (kept if already there)
# Browsers warn about it; put the real pair's paths in TLS_CERT_FILE/TLS_KEY_FILE for production.
set -euo pipefail
dir="${1:?usage: scripts/self-signed-cert.sh DIR [HOSTNAME]}"
name="${2:-localhost}"
mkdir -p "$dir"
if [[ -s "$dir/cert.pem" && -s "$dir/key.pem" ]]; then
  echo "self-signed-cert: $dir/cert.pem already there"
  exit 0
fi
command -v openssl >/dev/null || { echo >&2 "self-signed-cert: openssl is missing (apt-get install openssl)"; exit 1; }
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/CN=$name" -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
# The proxy's nginx master reads the key as root (proxy/Dockerfile), so the key stays the owner's
# only, like a real one; the certificate is public.
chmod 644 "$dir/cert.pem"
chmod 600 "$dir/key.pem"
echo "self-signed-cert: wrote $dir/cert.pem and $dir/key.pem for $name (browsers will warn)"
