#!/bin/bash
# GET throughput of the S3 module against plain nginx static serving of the
# same files (4 KiB, 1 MiB, 64 MiB), both started here on free loopback
# ports, in one run. Prints a table with the ratios.
#
#   scripts/bench.sh
#
# Environment:
#   BENCH_DURATION   seconds per wrk run (default 10)
#   BENCH_CONNS      connection counts (default "1 16 64")
#   BENCH_SIZES      subset of "4k 1m 64m" (default all)
#   BENCH_WORKERS    nginx worker_processes for both servers (default 2)
#   S3_MODULE        the module (default build/ngx_http_s3_module.so)
#
# Needs: /usr/sbin/nginx, wrk, /usr/bin/python3 with boto3, curl.
# Not part of the test suite; it cleans up everything it started.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
module=${S3_MODULE:-$top/build/ngx_http_s3_module.so}
nginx=/usr/sbin/nginx
py=/usr/bin/python3
duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNS:-"1 16 64"}
sizes=${BENCH_SIZES:-"4k 1m 64m"}
workers=${BENCH_WORKERS:-2}
access=AKIDBENCH00000000000
secret=SECRETbench000000000000000000000000000000
region=us-east-1

for t in "$nginx" "$py" wrk curl; do
    command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 1; }
done
if [ ! -f "$module" ]; then
    echo "bench: $module not found: run scripts/build.sh first" >&2
    exit 1
fi

tmp=$(mktemp -d /tmp/ngx_s3_bench.XXXXXX)
pids=()

# shellcheck disable=SC2317
cleanup() {
    for p in "${pids[@]}"; do
        kill -QUIT "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$p" 2>/dev/null; then
            pkill -KILL -P "$p" 2>/dev/null || true
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}

user=
[ "$(id -u)" = 0 ] && user="user root root;"

common() {
    # $1: directory of this server
    cat << END
$user
worker_processes $workers;
master_process on;
daemon on;
error_log $1/error.log warn;
pid $1/nginx.pid;
events { worker_connections 4096; }
END
}

http_common() {
    cat << END
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
END
}

start() {
    # $1: directory; waits for the pid file
    "$nginx" -p "$1/" -c "$1/nginx.conf" -e "$1/error.log"
    for _ in $(seq 100); do
        [ -s "$1/nginx.pid" ] && break
        sleep 0.05
    done
    pids+=("$(cat "$1/nginx.pid")")
}

# the files
mkdir -p "$tmp/www" "$tmp/s3" "$tmp/plain"
declare -A bytes=([4k]=4096 [1m]=1048576 [64m]=67108864)
for s in $sizes; do
    head -c "${bytes[$s]}" /dev/urandom > "$tmp/www/obj-$s"
done

# the S3 module
s3port=$(free_port)
{
    echo "load_module $module;"
    common "$tmp/s3"
    echo "http {"
    http_common "$tmp/s3"
    cat << END
    s3_data $tmp/s3/data;
    s3_region $region;
    s3_access_key $access $secret;
    s3_fsync off;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$s3port;
        location / { s3; }
    }
}
END
} > "$tmp/s3/nginx.conf"
start "$tmp/s3"

# plain nginx, the same files
plainport=$(free_port)
{
    common "$tmp/plain"
    echo "http {"
    http_common "$tmp/plain"
    cat << END
    server {
        listen 127.0.0.1:$plainport;
        root $tmp/www;
        location / { }
    }
}
END
} > "$tmp/plain/nginx.conf"
start "$tmp/plain"

# wait for the S3 side (helper up), upload, presign
files=()
for s in $sizes; do files+=("$tmp/www/obj-$s"); done
for i in $(seq 100); do
    if "$py" "$top/scripts/bench-prep.py" "http://127.0.0.1:$s3port" \
           "$access" "$secret" "$region" bench "${files[@]}" \
           > "$tmp/urls" 2> "$tmp/prep.err"; then
        break
    fi
    if [ "$i" = 100 ]; then
        echo "bench: upload through the S3 API failed:" >&2
        cat "$tmp/prep.err" "$tmp/s3/error.log" >&2
        exit 1
    fi
    sleep 0.1
done

check() {
    # $1 url, $2 expected size
    local got
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$1")
    if [ "$got" != "200 $2" ]; then
        echo "bench: GET $1 answered '$got', want '200 $2'" >&2
        exit 1
    fi
}

run_wrk() {
    # $1 url, $2 connections: prints "req/s non2xx errors"
    local t=$(( $2 < 2 ? 1 : 2 ))
    wrk -t"$t" -c"$2" -d"${duration}s" --timeout 60s --latency "$1" > "$tmp/wrk.out" 2>&1
    awk '
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { bad = $NF }
        /Socket errors:/ { err = $0 }
        END { printf "%s %s %s\n", rps, bad + 0, (err == "" ? "-" : "E") }
    ' "$tmp/wrk.out"
}

echo
echo "ngx_s3 GET benchmark: $(nproc) cores, $workers workers each," \
     "wrk ${duration}s per run, nginx $("$nginx" -v 2>&1 | sed 's/.*\///')"
echo
printf '%-5s %5s | %12s %10s | %12s %10s | %6s\n' \
       size conns 's3 req/s' 's3 MB/s' 'plain req/s' 'plain MB/s' ratio
printf '%s\n' "------------+-------------------------+-------------------------+-------"

status=0
while read -r name size url; do
    s=${name#obj-}
    plain="http://127.0.0.1:$plainport/$name"
    check "$url" "$size"
    check "$plain" "$size"
    for c in $conns; do
        read -r s3rps s3bad s3err <<< "$(run_wrk "$url" "$c")"
        read -r plrps plbad plerr <<< "$(run_wrk "$plain" "$c")"
        line=$(awk -v a="$s3rps" -v b="$plrps" -v n="$size" \
                   -v s="$s" -v c="$c" 'BEGIN {
            printf "%-5s %5d | %12.1f %10.1f | %12.1f %10.1f | %5.2fx",
                   s, c, a, a * n / 1048576, b, b * n / 1048576,
                   (b > 0 ? a / b : 0) }')
        note=
        if [ "$s3bad" != 0 ] || [ "$plbad" != 0 ]; then
            note=" non-2xx: s3 $s3bad plain $plbad"; status=1
        fi
        if [ "$s3err" != - ] || [ "$plerr" != - ]; then
            note="$note socket errors"
        fi
        echo "$line$note"
    done
done < "$tmp/urls"

echo
echo "MB = MiB of object bytes (req/s x size); ratio = s3 / plain req/s"
if grep -E '\[(alert|emerg)\]' "$tmp/s3/error.log" >&2; then
    status=1
fi
exit $status
