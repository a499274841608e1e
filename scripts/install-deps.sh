#!/bin/sh
# Install what ngx_s3 needs on Debian 12, from Debian's packages only.
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh test     plus the test clients and Ceph
#   scripts/install-deps.sh bench    plus the load generators of bench.sh
#   scripts/install-deps.sh deb      plus what builds the Debian package
#   scripts/install-deps.sh ceph     plus a single-node Ceph cluster with RGW
#                                    (t/lib/ceph.py, the gateway tests)
set -eu

pkgs="nginx nginx-dev libleveldb-dev libxml2-dev libssl-dev zlib1g-dev
      libpcre2-dev gcc make curl"
# Ceph 16.2 (Debian 12): monitor, OSD (memstore) and RGW of the throw-away
# cluster of t/lib/cephcluster.py; ceph-common has monmaptool and the ceph
# CLI, radosgw has radosgw-admin.  No ceph-mgr: RGW does not need one.
ceph="ceph-common ceph-mon ceph-osd radosgw"
if [ "${1:-}" = test ]; then
    pkgs="$pkgs python3 python3-boto3 python3-pytest awscli s3cmd rclone
          perl clang libclang-rt-dev python3-plyvel
          python3-prometheus-client debhelper dpkg-dev
          chromium fonts-dejavu-core strace $ceph"
fi
if [ "${1:-}" = deb ]; then
    pkgs="$pkgs debhelper dpkg-dev"
fi
if [ "${1:-}" = ceph ]; then
    pkgs="$pkgs python3 python3-boto3 python3-pytest $ceph"
fi
if [ "${1:-}" = bench ]; then
    pkgs="$pkgs python3 python3-boto3 wrk apache2-utils"
fi

missing=
for p in $pkgs; do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null \
        | grep -q 'install ok installed' || missing="$missing $p"
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "missing Debian packages:$missing (run as root to install)" >&2
        exit 1
    fi
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi

# Node.js and npm for the JS SDK tests: a machine may already have a
# Node.js from elsewhere that ships its own npm (Debian's npm package would
# conflict with it), so install Debian's only when there is no npm at all.
if [ "${1:-}" = test ] && ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
    else
        echo "npm is missing (run as root to install)" >&2
        exit 1
    fi
fi

# The AWS SDK for JavaScript v3 of the interop tests and puppeteer-core
# (which drives Debian's chromium in the browser tests; it downloads no
# browser of its own), at the versions t/js/package-lock.json pins, into
# t/js/node_modules (git-ignored).
if [ "${1:-}" = test ]; then
    js=$(cd "$(dirname "$0")/../t/js" && pwd)
    if [ ! -f "$js/node_modules/.package-lock.json" ] \
       || [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]
    then
        echo "installing the npm packages of t/js"
        (cd "$js" && npm ci --no-audit --no-fund)
    fi
fi
