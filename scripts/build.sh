#!/bin/sh
# Build ngx_http_s3_module.so against Debian's nginx-dev tree.
#   scripts/build.sh [builddir]        (default: build)
# Environment: S3_CFLAGS adds compiler flags (for example sanitizers).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
src=/usr/share/nginx/src

if [ ! -f $src/conf_flags ]; then
    echo "build: $src/conf_flags not found: apt-get install nginx-dev" >&2
    exit 1
fi

mkdir -p "$build"
build=$(cd "$build" && pwd)

# Debian's conf_flags sets NGX_CONF_FLAGS=( ... ) for bash; read it in sh.
flags=$(sed -n 's/^NGX_CONF_FLAGS=(\(.*\))$/\1/p' $src/conf_flags)
cflags="-g -O2 -fPIC -Wall -Wextra -Werror -Wno-unused-parameter ${S3_CFLAGS:-}"

stamp="$build/.configured"
want="$flags|$cflags"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] \
   || [ "$top/config" -nt "$stamp" ]; then
    rm -rf "$build/nginx"
    # nginx's configure writes into the tree's Makefile: use a private copy
    mkdir -p "$build/nginx"
    cp -a $src/. "$build/nginx/"
    (cd "$build/nginx" && \
        # shellcheck disable=SC2086
        ./configure $flags --with-cc-opt="$cflags" \
            --with-ld-opt="${S3_LDFLAGS:-}" \
            --add-dynamic-module="$top" --builddir="$build/objs" \
            > "$build/configure.log" 2>&1) || {
        cat "$build/configure.log" >&2; exit 1; }
    echo "$want" > "$stamp"
fi

make -s -C "$build/nginx" -f "$build/objs/Makefile" modules
# a new file, renamed into place: a running nginx has the old one mapped,
# and writing into that inode would change code under it
if ! cmp -s "$build/objs/ngx_http_s3_module.so" "$build/ngx_http_s3_module.so"
then
    cp "$build/objs/ngx_http_s3_module.so" "$build/.ngx_http_s3_module.so.new"
    mv -f "$build/.ngx_http_s3_module.so.new" "$build/ngx_http_s3_module.so"
fi
echo "built $build/ngx_http_s3_module.so"
