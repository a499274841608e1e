#!/bin/sh
# Build the Debian package libnginx-mod-http-s3, as Debian builds its own
# libnginx-mod-* packages (debhelper, dh_nginx from nginx-dev):
#   scripts/deb.sh [dir]  -> dir/libnginx-mod-http-s3_<version>_<arch>.deb
# (dir: the top of the checkout by default).  Install it with
#   apt install ./libnginx-mod-http-s3_*.deb
# The packaging is in scripts/debian/; the package is built in build-deb/
# from a copy of the sources, with the configured nginx tree and the
# objects kept in build-deb/obj: the next build compiles what changed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$top}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
out=$top/build-deb
src=$out/libnginx-mod-http-s3

for t in dpkg-buildpackage dh dh_nginx; do
    command -v $t >/dev/null 2>&1 || {
        echo "deb: $t is missing: scripts/install-deps.sh deb" >&2; exit 1; }
done

# the version: 0.1.0, then the commit's date and id (a native package)
version=0.1.0
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    version=$version+git$(git -C "$top" log -1 --format=%cd \
        --date=format:%Y%m%d%H%M).$(git -C "$top" rev-parse --short=8 HEAD)
    if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]
    then
        version=$version.dirty
    fi
fi

rm -rf "$src" "$out"/*.deb "$out"/*.ddeb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$src/scripts" "$src/docs" "$out/obj"
cp -a "$top/config" "$top/ngx_s3_module" "$top/README.md" "$top/console" \
    "$src/"
cp -a "$top/scripts/build.sh" "$top/scripts/s3-admin" "$src/scripts/"
cp -a "$top/docs/." "$src/docs/"
cp -a "$top/scripts/debian" "$src/debian"

cat > "$src/debian/changelog" <<EOF
libnginx-mod-http-s3 ($version) unstable; urgency=medium

  * Built from the ngx_s3 sources.

 -- ngx_s3 authors <ngx-s3@localhost>  $(date -R)
EOF

(cd "$src" && S3_DEB_OBJ=$out/obj \
    dpkg-buildpackage -b -us -uc -j"$(nproc 2>/dev/null || echo 1)" \
    > "$out/build.log" 2>&1) || {
    tail -n 40 "$out/build.log" >&2
    echo "deb: the build failed, see $out/build.log" >&2
    exit 1
}

deb=$(ls "$out"/libnginx-mod-http-s3_*.deb)
rm -f "$dest"/libnginx-mod-http-s3_*.deb
cp "$deb" "$dest/"
deb=$dest/$(basename "$deb")

echo "built $deb"
dpkg-deb -f "$deb" Package Version Depends | sed 's/^/  /'
echo "install it: apt install ./$(basename "$deb")"
