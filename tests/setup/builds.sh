#!/usr/bin/env bash
# Builds tests (Start-WheelBuild & co.): the simulated devices share this machine's /usr read-only, so the build
# tools they compile with are installed here: C compiler, CMake, Ninja, Python headers, setuptools and wheel
# (pip builds without isolation, offline), git (git sources), ccache (used when present). shellcheck lints the
# build host scripts (src/EdgeOps.Engine/Scripts/build-*.sh). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build python3-dev python3-setuptools python3-wheel git ccache shellcheck >/dev/null
