#!/bin/sh
# Build and run the unit tests of the module's pure parts.
#
#   t/unit/run.sh [test_name ...]     (default: every t/unit/test_*.c)
#
# Each t/unit/test_<name>.c starts with a line naming the module sources it
# tests, for example
#   /* sources: ngx_http_s3_util.c ngx_http_s3_xml.c */
# (files in ngx_s3_module/).  The test, those sources and t/unit/ngx_stub.c
# (malloc-backed pools, arrays, bufs, strings, logging) are compiled into
# t/unit/bin/ and run with prove; each prints TAP.
#
# Needs the nginx tree configured by scripts/build.sh (the link step of the
# module may fail, configuring is enough): build/objs/ngx_auto_config.h.
# Environment:
#   S3_BUILD      build directory (default: build)
#   CC            compiler (default: gcc)
#   UNIT_CFLAGS   extra flags, for example
#                 "-fsanitize=address,undefined -fno-sanitize-recover=all"
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${S3_BUILD:-$top/build}
unit=$top/t/unit
bin=$unit/bin
cc=${CC:-gcc}

if [ ! -f "$build/objs/ngx_auto_config.h" ]; then
    echo "unit: $build/objs/ngx_auto_config.h not found:" \
         "run scripts/build.sh first (configuring nginx is enough)" >&2
    exit 1
fi

if [ -d "$build/nginx/src/core" ]; then
    ngx=$build/nginx/src
else
    ngx=/usr/share/nginx/src/src
fi

incs="-I $ngx/core -I $ngx/event -I $ngx/event/modules -I $ngx/os/unix
      -I $ngx/http -I $ngx/http/modules -I $ngx/http/v2
      -I $build/objs -I $top/ngx_s3_module -I $unit -I /usr/include/libxml2"
# the flags the module is built with (scripts/build.sh, nginx's -W ...)
cflags="-g -O2 -W -Wall -Wextra -Wpointer-arith -Werror -Wno-unused-parameter"
libs="-lcrypto -lxml2 -lz"

if [ $# -gt 0 ]; then
    tests=""
    for t in "$@"; do
        t=${t##*/}; t=${t%.c}; t=${t#test_}
        tests="$tests $unit/test_$t.c"
    done
else
    tests=$(ls "$unit"/test_*.c)
fi

mkdir -p "$bin"
failed=0
built=""

for t in $tests; do
    name=$(basename "$t" .c)

    if [ ! -f "$t" ]; then
        echo "unit: $t: no such test" >&2
        failed=1
        continue
    fi

    sources=$(sed -n '1s|^/\* *sources: *\(.*\) *\*/ *$|\1|p' "$t")

    if [ -z "$sources" ]; then
        echo "unit: $t: first line must be /* sources: a.c b.c */" >&2
        failed=1
        continue
    fi

    srcs=""
    for s in $sources; do
        if [ ! -f "$top/ngx_s3_module/$s" ]; then
            echo "unit: $name: ngx_s3_module/$s does not exist (yet)" >&2
            srcs=""
            break
        fi
        srcs="$srcs $top/ngx_s3_module/$s"
    done

    if [ -z "$srcs" ]; then
        failed=1
        continue
    fi

    rm -f "$bin/$name"

    # shellcheck disable=SC2086
    if $cc $cflags ${UNIT_CFLAGS:-} $incs -o "$bin/$name" \
           "$t" $srcs "$unit/ngx_stub.c" $libs
    then
        built="$built $bin/$name"
    else
        echo "unit: $name: build failed" >&2
        failed=1
    fi
done

if [ -n "$built" ]; then
    # shellcheck disable=SC2086
    prove -e '' $built || failed=1
fi

exit $failed
