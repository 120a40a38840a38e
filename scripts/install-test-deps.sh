#!/usr/bin/env bash
# Installs what the test suite needs to run its own S3 server
# (scripts/s3-test-server.sh): Ceph's radosgw, ceph-mon and ceph-osd from the
# Debian/Ubuntu archive. Quiet and quick when everything is already there.
#
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail

PACKAGES=(radosgw ceph-mon ceph-osd)
BINARIES=(radosgw radosgw-admin ceph-mon ceph-osd ceph monmaptool)

missing=()
for b in "${BINARIES[@]}"; do
  command -v "$b" >/dev/null 2>&1 || missing+=("$b")
done
((${#missing[@]})) || exit 0

echo "[install-test-deps] missing ${missing[*]}; installing ${PACKAGES[*]} with apt-get" >&2

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[install-test-deps] error: apt-get not found. Install Ceph's radosgw, ceph-mon and ceph-osd with your package manager, or point the tests at an S3 server with LAKE_TEST_S3_ENDPOINT (see test/setup/s3-server.ts)." >&2
  exit 1
fi

sudo=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "[install-test-deps] error: not root and sudo is not available; run as root: apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >&2

for b in "${BINARIES[@]}"; do
  if ! command -v "$b" >/dev/null 2>&1; then
    echo "[install-test-deps] error: $b is still missing after installing ${PACKAGES[*]}" >&2
    exit 1
  fi
done
echo "[install-test-deps] installed ${PACKAGES[*]}" >&2
