#!/usr/bin/env bash
# Device scripts (src/EdgeOps.Engine/Scripts/) are linted by the tests: shellcheck for sh, perl -c for perl,
# python3 -m py_compile for python.
set -euo pipefail
command -v shellcheck >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
command -v perl >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends perl-base >/dev/null
command -v python3 >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-minimal >/dev/null
