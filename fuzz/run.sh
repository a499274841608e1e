#!/bin/sh
# Build the fuzzers with libFuzzer, AddressSanitizer and UBSan, and run
# each for a while.
#
#   fuzz/run.sh [seconds] [name ...]   default: 30 s each, every fuzz_*.c
#
# fuzz/fuzz_<name>.c starts with /* sources: a.c b.c */ like the unit
# tests, and links with t/unit/ngx_stub.c.  Seeds are in fuzz/corpus/<name>
# (committed); what the fuzzer finds goes to fuzz/bin/corpus/<name>, crash
# inputs to fuzz/bin/<name>-crash-* (git-ignored).  Reproduce one with
#   fuzz/bin/fuzz_<name> fuzz/bin/<name>-crash-...
# Environment: S3_BUILD (default build: needs build/objs from
# scripts/build.sh), FUZZ_CC (default clang), FUZZ_ARGS (more libFuzzer
# options, for example "-jobs=4 -workers=4").
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${S3_BUILD:-$top/build}
fuzz=$top/fuzz
bin=$fuzz/bin
cc=${FUZZ_CC:-clang}

secs=30
case "${1:-}" in
    ''|*[!0-9]*) ;;
    *) secs=$1; shift ;;
esac

if [ $# -gt 0 ]; then
    names=$*
else
    names=$(ls "$top"/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c$|\1|')
fi

if [ ! -f "$build/objs/ngx_auto_config.h" ]; then
    echo "fuzz: $build/objs/ngx_auto_config.h not found:" \
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
      -I $build/objs -I $top/ngx_s3_module -I $top/t/unit
      -I /usr/include/libxml2"
cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=undefined -Wall -Wextra -Werror
        -Wno-unused-parameter"
libs="-lcrypto -lxml2 -lz"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$bin"
failed=0

for name in $names; do
    src=$fuzz/fuzz_$name.c

    if [ ! -f "$src" ]; then
        echo "fuzz: $src: no such fuzzer" >&2
        failed=1
        continue
    fi

    sources=$(sed -n '1s|^/\* *sources: *\(.*\) *\*/ *$|\1|p' "$src")
    srcs=""
    for s in $sources; do
        srcs="$srcs $top/ngx_s3_module/$s"
    done

    echo "fuzz: building fuzz_$name"

    # shellcheck disable=SC2086
    if ! $cc $cflags $incs -o "$bin/fuzz_$name" "$src" $srcs \
             "$top/t/unit/ngx_stub.c" $libs
    then
        echo "fuzz: fuzz_$name: build failed" >&2
        failed=1
        continue
    fi

    mkdir -p "$bin/corpus/$name" "$fuzz/corpus/$name"

    dict=""
    if [ -f "$fuzz/$name.dict" ]; then
        dict="-dict=$fuzz/$name.dict"
    fi

    echo "fuzz: running fuzz_$name for $secs s"

    # shellcheck disable=SC2086
    if "$bin/fuzz_$name" -max_total_time="$secs" -timeout=10 \
           -print_final_stats=1 -artifact_prefix="$bin/$name-" \
           $dict ${FUZZ_ARGS:-} "$bin/corpus/$name" "$fuzz/corpus/$name" \
           > "$bin/$name.log" 2>&1
    then
        echo "fuzz: fuzz_$name: ok ($(grep -c . "$bin/$name.log") log lines," \
             "$(ls "$bin/corpus/$name" | wc -l) corpus entries)"
        grep -E '^stat::number_of_executed_units' "$bin/$name.log" || true
    else
        echo "fuzz: fuzz_$name: FAILED, see $bin/$name.log" >&2
        tail -40 "$bin/$name.log" >&2
        failed=1
    fi
done

exit $failed
