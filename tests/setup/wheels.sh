#!/usr/bin/env bash
# Wheels / Storage tests: real S3 (s3rver) and Azure Blob (Azurite) servers from npm, run on loopback
# by the test fixture. Idempotent: installs only what is missing.
set -euo pipefail
need=()
command -v s3rver >/dev/null 2>&1 || need+=("s3rver@3.7.1")
command -v azurite-blob >/dev/null 2>&1 || need+=("azurite@3.37.0")
if [ ${#need[@]} -gt 0 ]; then
  npm install -g --no-audit --no-fund --loglevel=error "${need[@]}"
fi
# The simulated devices' Python needs pip and venv (installed by .ci/run); zip/unzip not needed (wheels are built in C#).
