#!/bin/bash
# Throughput of the S3 module against plain nginx serving the same files,
# both started here on free loopback ports from the same /usr/sbin/nginx,
# in one run, with the same http settings (sendfile, tcp_nopush,
# open_file_cache, access_log off, worker count) and the same clients;
# the S3 side with s3_fsync on (BENCH_FSYNC), plain nginx without fsync:
#
#   get   GET of 4 KiB (and 1 MiB, 64 MiB: BENCH_SIZES) with wrk over
#         presigned URLs, vs static files; warm page cache, a warm-up run
#         before each pair
#   head  HEAD of the 4 KiB object with ab (wrk cannot do HEAD), req/s
#   put   PUT of new keys: 4 KiB with wrk (a Lua script over presigned
#         PUT URLs, one new key per request) at the GET connection
#         counts; 64 MiB (and 1 MiB) from a small client (threads,
#         keep-alive, sendfile: scripts/bench-put.py) over presigned
#         URLs; vs the dav module's PUT of new files
#   mixed GET of 4 KiB from the S3 server with wrk, p99 latency alone
#         and beside one stream of 64 MiB PUTs of new keys (bench-put.py)
#   cache GET of 4 KiB from the S3 server, p99 latency while a filler
#         (wrk, unique URLs) goes through a proxy_cache location of the
#         same nginx whose entries expire after 1 s, so that its cache
#         manager (the metadata process) deletes a second's worth of
#         files at once, in one slice (manager_files and
#         manager_threshold high), vs the same filler through a
#         location without proxy_cache
#   obs   (not in the default set) GET of the 4 KiB object from a second
#         S3 nginx with an s3_metrics location and an access log of the
#         $s3_* variables (docs/directives.md's format, unbuffered), vs
#         the first (both off); runs alternate, median kept
#   access  (not in the default set) GET of 4 KiB with wrk: presigned by
#         a user's managed key, of a bucket with a 10-statement policy
#         that lets the user get it, vs presigned by the root key, of a
#         bucket without a policy; ratio = managed / root
#   multipart  (not in the default set: it writes some GB)
#         CompleteMultipartUpload of 2 and 1000 parts (and 2 large
#         ones): the time of the request; GET of a 1 GiB multipart
#         object (8 MiB parts) vs the same bytes uploaded in one PUT; an
#         8-way parallel multipart upload of 1 GiB vs the dav module's
#         PUT of the same bytes, in one request and 8-way in 8 MiB files
#         (scripts/bench-multipart.py; scripts/bench-multipart.sh runs
#         this section alone)
#   gateway  (not in the default set: it starts a Ceph cluster)
#         ngx_s3 in gateway mode in front of a throw-away Ceph cluster's
#         RGW: cached GET of 4 KiB and 64 MiB vs plain nginx, uncached
#         GET and PUT of 64 MiB vs RGW directly, the latency added to an
#         uncached 4 KiB GET (scripts/bench-gateway.sh, sourced; needs
#         scripts/install-deps.sh ceph)
#   versions  (not in the default set: it writes 650,000 versions)
#         ListObjectsV2 page time (1000 keys) of a bucket of 100,000 keys
#         of which half have 10 versions and a quarter end in a delete
#         marker, vs a bucket of 100,000 plain keys, in one run
#         (scripts/bench-versions.py, its own server; BENCH_VERSIONS_KEYS)
#
# At the end, a table of the cells that have an aim (issue 11: GET 4 KiB
# >= 0.8x, PUT 4 KiB >= 0.5x, PUT 64 MiB >= 0.8x of plain nginx; GET p99
# not more than doubled by the PUT stream; issue 12: the gateway's
# cached GET >= 0.8x (4 KiB) and 0.95x (64 MiB) of plain nginx, its
# uncached GET and PUT of 64 MiB >= 0.9x of RGW) and the busy-cache
# ratio.
#
#   scripts/bench.sh [--help] [SECTION...]
#
# SECTION...: the sections to run (as BENCH_SECTIONS), for example
# `scripts/bench.sh gateway`.
#
# Environment:
#   BENCH_SECTIONS   subset of "get head put mixed cache obs access
#                    gateway" (default "get head put mixed cache"), or
#                    "multipart", "versions"
#   BENCH_DURATION   seconds per wrk/ab run (default 10)
#   BENCH_FSYNC      s3_fsync of the S3 servers (default on)
#   BENCH_CONNS      GET and 4 KiB PUT connection counts (default
#                    "1 16 64")
#   BENCH_SIZES      GET sizes, subset of "4k 1m 64m" (default 4k)
#   BENCH_REPEAT     runs per GET cell, alternating, median kept (default 1)
#   BENCH_VERBOSE    set: print every run of a GET cell
#   BENCH_HEAD_CONNS HEAD connection counts (default "1 16 64")
#   BENCH_PUT_CONNS  parallel PUTs of 1 MiB and 64 MiB (default "1 4")
#   BENCH_PUT_SIZES  subset of "4k 1m 64m" (default "4k 64m"); 400 PUTs
#                    of 1 MiB, 16 of 64 MiB per run
#   BENCH_PUT_RATE   presigned URLs made per second of a 4 KiB PUT run
#                    (default 6000): a faster server reuses keys, which
#                    the table notes
#   BENCH_MIXED_CONNS  GET connections of the mixed and cache sections
#                    (default 16)
#   BENCH_OBS_CONNS  obs connection counts (default "1 16 64")
#   BENCH_OBS_METRICS  "off": the obs server without s3_metrics
#   BENCH_OBS_LOG    "off": the obs server without the access log; or
#                    more access_log arguments ("buffer=64k")
#   BENCH_MP_SIZE    MiB of the multipart GET and upload object (default
#                    1024)
#   BENCH_MP_CONNS   GET connection counts of the multipart section
#                    (default "1 4")
#   BENCH_MP_RUNS    completes per cell, median (default 5; 1 above 100
#                    parts)
#   BENCH_MP_PARTS   complete cells, parts:part size of 5m or 256m
#                    (default "2:5m 2:256m 1000:5m")
#   BENCH_WORKERS    nginx worker_processes for both servers (default 2)
#   BENCH_OPEN_FILE_CACHE  "off" or open_file_cache arguments for both
#                    (default "max=1000 inactive=60s")
#   BENCH_GW_CONNS, BENCH_GW_UP_CONNS, BENCH_CEPH_BYTES  the gateway
#                    section's (scripts/bench-gateway.sh)
#   S3_MODULE        the module (default build/ngx_http_s3_module.so)
#
# MB/s is MiB of object bytes per second: for GET, the bytes wrk read
# (partial responses at the end included) less the response headers of
# the completed requests, so 64 MiB runs are not quantised by the few
# requests that finish; ratio = s3 / plain of that.
#
# Needs: /usr/sbin/nginx, wrk, ab, curl, /usr/bin/python3 with boto3
# (scripts/install-deps.sh bench). Not part of the test suite; it cleans
# up everything it started.
set -euo pipefail

if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
    exit 0
fi

top=$(cd "$(dirname "$0")/.." && pwd)
module=${S3_MODULE:-$top/build/ngx_http_s3_module.so}
nginx=/usr/sbin/nginx
py=/usr/bin/python3
sections=${BENCH_SECTIONS:-"get head put mixed cache"}
if [ $# -gt 0 ]; then
    sections="$*"
fi
duration=${BENCH_DURATION:-10}
conns=${BENCH_CONNS:-"1 16 64"}
sizes=${BENCH_SIZES:-4k}
repeat=${BENCH_REPEAT:-1}
head_conns=${BENCH_HEAD_CONNS:-"1 16 64"}
put_conns=${BENCH_PUT_CONNS:-"1 4"}
obs_conns=${BENCH_OBS_CONNS:-"1 16 64"}
obs_metrics=${BENCH_OBS_METRICS:-on}
obs_log=${BENCH_OBS_LOG:-}
put_sizes=${BENCH_PUT_SIZES:-"4k 64m"}
put_rate=${BENCH_PUT_RATE:-6000}
mixed_conns=${BENCH_MIXED_CONNS:-16}
fsync=${BENCH_FSYNC:-on}
workers=${BENCH_WORKERS:-2}
ofc=${BENCH_OPEN_FILE_CACHE:-"max=1000 inactive=60s"}
access=AKIDBENCH00000000000
secret=SECRETbench000000000000000000000000000000
region=us-east-1

for t in "$nginx" "$py" wrk ab curl; do
    command -v "$t" >/dev/null || {
        echo "bench: $t not found (scripts/install-deps.sh bench)" >&2
        exit 1
    }
done
if [[ " $sections " == *" gateway "* ]] \
        && ! command -v radosgw-admin > /dev/null; then
    echo "bench: radosgw-admin not found (scripts/install-deps.sh ceph)" >&2
    exit 1
fi
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
    # the same for both servers
    cat << END
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_max_body_size 0;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
END
    if [ "$ofc" = off ]; then
        echo "    open_file_cache off;"
    else
        echo "    open_file_cache $ofc;"
        echo "    open_file_cache_valid 60s;"
        echo "    open_file_cache_errors off;"
    fi
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
mkdir -p "$tmp/www/put" "$tmp/s3" "$tmp/plain"
declare -A bytes=([4k]=4096 [1m]=1048576 [64m]=67108864)
mixed_size=
[[ " $sections " == *" mixed "* ]] && mixed_size=64m
for s in $(echo "$sizes $put_sizes $mixed_size 4k" | tr ' ' '\n' | sort -u)
do
    head -c "${bytes[$s]}" /dev/urandom > "$tmp/obj-$s"
done
for s in $sizes 4k; do
    cp "$tmp/obj-$s" "$tmp/www/obj-$s"
done

# the S3 module
s3port=$(free_port)
(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$tmp/s3.key")
{
    echo "load_module $module;"
    common "$tmp/s3"
    echo "http {"
    http_common "$tmp/s3"
    cat << END
    s3_data $tmp/s3/data;
    s3_region $region;
    s3_access_key $access $secret;
    s3_key_file $tmp/s3.key;
    s3_fsync $fsync;
    server {
        listen 127.0.0.1:$s3port;
        location / { s3; }
        location /.s3-admin/ { s3_admin; }
    }
END
    if [[ " $sections " == *" cache "* ]]; then
        # a proxy_cache beside the S3 API: 1 KiB answers of an upstream
        # in the same nginx, cached under /c/, not under /u/; entries
        # expire 1 s after their last use and the cache manager (the
        # metadata process) deletes all that expired in one slice
        cacheport=$(free_port)
        upport=$(free_port)
        cat << END
    proxy_cache_path $tmp/s3/pcache levels=1:2 keys_zone=bench:64m
                     inactive=1s manager_files=10000000
                     manager_threshold=10s manager_sleep=10ms
                     use_temp_path=off;
    upstream bench_up {
        server 127.0.0.1:$upport;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$upport;
        location / { return 200 "$(head -c 1024 /dev/zero | tr '\0' x)"; }
    }
    server {
        listen 127.0.0.1:$cacheport;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location /c/ {
            proxy_pass http://bench_up;
            proxy_cache bench;
            proxy_cache_valid 200 1h;
        }
        location /u/ {
            proxy_pass http://bench_up;
        }
    }
END
    fi
    echo "}"
} > "$tmp/s3/nginx.conf"
start "$tmp/s3"

# the S3 module with metrics and the $s3_* access log (section obs)
if [[ " $sections " == *" obs "* ]]; then
    mkdir -p "$tmp/s3obs"
    obsport=$(free_port)
    {
        echo "load_module $module;"
        common "$tmp/s3obs"
        echo "http {"
        http_common "$tmp/s3obs"
        cat << END
    s3_data $tmp/s3obs/data;
    s3_region $region;
    s3_access_key $access $secret;
    s3_fsync $fsync;
    log_format s3 '\$remote_addr [\$time_local] \$s3_request_id '
                  '\$s3_access_key \$s3_operation "\$s3_bucket" "\$s3_key" '
                  '\$status \$s3_error_code \$s3_object_size '
                  '\$request_length \$bytes_sent \$request_time';
    server {
        listen 127.0.0.1:$obsport;
        location / { s3; }
END
        if [ "$obs_log" != off ]; then
            echo "        access_log $tmp/s3obs/access.log s3 $obs_log;"
        fi
        if [ "$obs_metrics" != off ]; then
            echo "        location = /metrics { access_log off; s3_metrics; }"
        fi
        echo "    }"
        echo "}"
    } > "$tmp/s3obs/nginx.conf"
    start "$tmp/s3obs"
fi

# plain nginx: static files, dav PUT into www/put
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
        location /put/ { dav_methods PUT; }
    }
}
END
} > "$tmp/plain/nginx.conf"
start "$tmp/plain"

# wait for the S3 side (helper up), upload, presign
files=()
for s in $(echo "4k $sizes" | tr ' ' '\n' | awk '!seen[$0]++'); do
    files+=("$tmp/www/obj-$s")
done
prep() {
    "$py" "$top/scripts/bench-prep.py" "http://127.0.0.1:$s3port" \
        "$access" "$secret" "$region" bench "$@"
}
for i in $(seq 100); do
    if prep "${files[@]}" > "$tmp/urls" 2> "$tmp/prep.err"; then
        break
    fi
    if [ "$i" = 100 ]; then
        echo "bench: upload through the S3 API failed:" >&2
        cat "$tmp/prep.err" "$tmp/s3/error.log" >&2
        exit 1
    fi
    sleep 0.1
done

if [[ " $sections " == *" obs "* ]]; then
    for i in $(seq 100); do
        if "$py" "$top/scripts/bench-prep.py" "http://127.0.0.1:$obsport" \
               "$access" "$secret" "$region" bench "$tmp/www/obj-4k" \
               > "$tmp/urls.obs" 2> "$tmp/prep.err"
        then
            break
        fi
        if [ "$i" = 100 ]; then
            echo "bench: upload to the obs server failed:" >&2
            cat "$tmp/prep.err" "$tmp/s3obs/error.log" >&2
            exit 1
        fi
        sleep 0.1
    done
fi

# warm page cache: every body file of both servers, written back first
# (no writeback of either side's fresh files during the runs)
sync
find "$tmp/www" "$tmp/s3/data/objects" -type f -exec cat {} + > /dev/null
if [ -d "$tmp/s3obs/data/objects" ]; then
    find "$tmp/s3obs/data/objects" -type f -exec cat {} + > /dev/null
fi

check() {
    # $1 url, $2 expected size; prints the length of the response header
    local got
    got=$(curl -s -D "$tmp/hdr" -o /dev/null \
               -w '%{http_code} %{size_download}' "$1")
    if [ "$got" != "200 $2" ]; then
        echo "bench: GET $1 answered '$got', want '200 $2'" >&2
        exit 1
    fi
    wc -c < "$tmp/hdr"
}

cat > "$tmp/summary.lua" << 'END'
-- the numbers of a run: requests, bytes read, microseconds, non-2xx,
-- socket errors, p99 latency in microseconds, requests that reused a
-- key (put.lua)
local threads = {}
setup = function(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end
done = function(s, latency, requests)
    local reused = 0
    for _, t in ipairs(threads) do
        reused = reused + (t:get("reused") or 0)
    end
    io.write(string.format("BENCH %d %d %d %d %d %d %d\n", s.requests,
             s.bytes, s.duration, s.errors.status, s.errors.connect
             + s.errors.read + s.errors.write + s.errors.timeout,
             latency:percentile(99), reused))
end
END

cat > "$tmp/put.lua" << END
-- PUT of the body file to a new key per request: the paths of a file of
-- URLs (each thread its share: every nth line; once used up, they are
-- used again and counted in "reused"), or "-" and a prefix:
-- <prefix><thread>-<n>.  Arguments: threads, body file, URL file or -,
-- prefix
dofile("$tmp/summary.lua")
END
cat >> "$tmp/put.lua" << 'END'
init = function(args)
    local nthreads = tonumber(args[1])
    local f = io.open(args[2], "rb")
    body = f:read("*a")
    f:close()
    paths = {}
    if args[3] ~= "-" then
        local i = 0
        for line in io.lines(args[3]) do
            if i % nthreads == id then
                paths[#paths + 1] = (line:gsub("^https?://[^/]+", ""))
            end
            i = i + 1
        end
    end
    prefix = (args[4] or "") .. id .. "-"
    n = 0
    reused = 0
end
request = function()
    n = n + 1
    local p
    if #paths > 0 then
        if n > #paths then
            n = 1
            wrapped = true
        end
        if wrapped then
            reused = reused + 1
        end
        p = paths[n]
    else
        p = prefix .. n
    end
    return wrk.format("PUT", p, nil, body)
end
END

cat > "$tmp/fill.lua" << END
-- GET of a new URL per request: <path><thread>-<n>
dofile("$tmp/summary.lua")
END
cat >> "$tmp/fill.lua" << 'END'
n = 0
request = function()
    n = n + 1
    return wrk.format("GET", wrk.path .. id .. "-" .. n)
end
END

run_wrk() {
    # $1 url, $2 connections, $3 seconds, $4 header bytes[, $5 script,
    # its arguments after the number of threads]: prints "req/s object-MiB/s non2xx socket-errors
    # p99-ms reused-keys"
    local t=$(( $2 < 2 ? 1 : 2 )) script=$tmp/summary.lua
    if [ $# -gt 4 ]; then
        script=$5
    fi
    wrk -t"$t" -c"$2" -d"$3s" --timeout 60s -s "$script" "$1" \
        ${5:+-- "$t" "${@:6}"} > "$tmp/wrk.out" 2>&1
    awk -v h="$4" '
        /^BENCH / { n = $2; b = $3; us = $4; bad = $5; err = $6
                    p99 = $7; re = $8 }
        END {
            if (us == 0) { print "0 0 0 1 0 0"; exit }
            body = b - n * h; if (body < 0) body = 0
            printf "%.1f %.1f %d %d %.2f %d\n", n * 1e6 / us,
                   body * 1e6 / us / 1048576, bad, err, p99 / 1000, re }
    ' "$tmp/wrk.out"
}

cpu_stat() {
    # "steal total" jiffies of all CPUs so far
    awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' \
        /proc/stat
}

steal_since() {
    # $1 $2: cpu_stat then; prints the percentage of CPU time stolen since
    # by the hypervisor (a VM's noise: it hits both servers alike only if
    # it is steady)
    local s t
    read -r s t < <(cpu_stat)
    awk -v s0="$1" -v t0="$2" -v s="$s" -v t="$t" \
        'BEGIN { printf "%d", (t > t0 ? 100 * (s - s0) / (t - t0) : 0) }'
}

median() {
    # lines "req/s MiB/s non2xx errors": the line of the median MiB/s,
    # with the non-2xx and errors summed over all runs
    sort -n -k2 | awk '
        { l[NR] = $1 " " $2; bad += $3; err += $4 }
        END { print l[int((NR + 1) / 2)], bad, err }'
}

med() {
    # $1 column: its median over the runs (lines on stdin)
    sort -n -k"$1" | awk -v k="$1" '{ v[NR] = $k }
        END { print v[int((NR + 1) / 2)] }'
}

: > "$tmp/aims"

aim() {
    # $1 cell, $2 ratio, $3 "min", "max" or "-" (no aim), $4 the aim: a
    # line of the table at the end
    awk -v c="$1" -v v="$2" -v k="$3" -v a="$4" 'BEGIN {
        if (k == "-") { printf "%-34s | %6.2fx | %-8s |\n", c, v, "-"; exit }
        ok = (k == "min" ? v >= a : v <= a)
        printf "%-34s | %6.2fx | %s %4.2fx | %s\n", c, v,
               (k == "min" ? ">=" : "<="), a, (ok ? "met" : "BELOW") }' \
        >> "$tmp/aims"
}

status=0
echo
echo "ngx_s3 benchmark: $(nproc) cores shared by the clients and nginx," \
     "$workers workers each, nginx $("$nginx" -v 2>&1 | sed 's/.*\///'),"
echo "s3_fsync $fsync; open_file_cache $ofc; ${duration}s per run;" \
     "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ " $sections " == *" get "* ]]; then
    echo
    echo "GET (wrk, presigned URLs vs static files, ${repeat} run(s) each," \
         "median)"
    echo
    printf '%-5s %5s | %12s %10s | %12s %10s | %6s | %5s\n' \
           size conns 's3 req/s' 's3 MB/s' 'plain req/s' 'plain MB/s' ratio \
           steal
    printf '%s\n' \
        "------------+-------------------------+-------------------------+-------+------"

    while read -r kind name size url; do
        [ "$kind" = get ] || continue
        s=${name#obj-}
        [[ " $sizes " == *" $s "* ]] || continue
        plain="http://127.0.0.1:$plainport/$name"
        s3h=$(check "$url" "$size")
        plh=$(check "$plain" "$size")
        for c in $conns; do
            run_wrk "$url" "$c" 1 "$s3h" > /dev/null
            run_wrk "$plain" "$c" 1 "$plh" > /dev/null
            : > "$tmp/s3.runs"
            : > "$tmp/plain.runs"
            read -r st0 tt0 < <(cpu_stat)
            for _ in $(seq "$repeat"); do
                run_wrk "$url" "$c" "$duration" "$s3h" >> "$tmp/s3.runs"
                run_wrk "$plain" "$c" "$duration" "$plh" >> "$tmp/plain.runs"
            done
            if [ -n "${BENCH_VERBOSE:-}" ]; then
                echo "  s3 req/s:    $(cut -d' ' -f1 "$tmp/s3.runs" | xargs)"
                echo "  plain req/s: $(cut -d' ' -f1 "$tmp/plain.runs" | xargs)"
            fi
            read -r s3rps s3mb s3bad s3err < <(median < "$tmp/s3.runs")
            read -r plrps plmb plbad plerr < <(median < "$tmp/plain.runs")
            steal=$(steal_since "$st0" "$tt0")
            line=$(awk -v a="$s3rps" -v am="$s3mb" -v b="$plrps" \
                       -v bm="$plmb" -v s="$s" -v c="$c" -v st="$steal" 'BEGIN {
                printf "%-5s %5d | %12.1f %10.1f | %12.1f %10.1f | %5.2fx | %4d%%",
                       s, c, a, am, b, bm, (bm > 0 ? am / bm : 0), st }')
            note=
            if [ "$s3bad" != 0 ] || [ "$plbad" != 0 ]; then
                note=" non-2xx: s3 $s3bad plain $plbad"; status=1
            fi
            if [ "$s3err" != 0 ] || [ "$plerr" != 0 ]; then
                note="$note socket errors: s3 $s3err plain $plerr"
            fi
            echo "$line$note"
            if [ "$s" = 4k ]; then
                aim "GET 4 KiB, $c conns" "$(awk -v a="$s3rps" \
                    -v b="$plrps" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
                    min 0.8
            fi
        done
    done < "$tmp/urls"
fi

run_ab() {
    # $1 url, $2 connections[, $3 seconds]: HEAD for $duration s; prints
    # "req/s bad"
    ab -q -k -i -c "$2" -t "${3:-$duration}" -n 100000000 "$1" \
        > "$tmp/ab.out" 2>&1 || true
    awk '
        /^Requests per second:/ { rps = $4 }
        /^Failed requests:/ { bad += $3 }
        /^Non-2xx responses:/ { bad += $3 }
        END { printf "%.1f %d\n", rps, bad }
    ' "$tmp/ab.out"
}

if [[ " $sections " == *" head "* ]]; then
    echo
    echo "HEAD of the 4 KiB object (ab -k, metadata lookup only)"
    echo
    printf '%-5s %5s | %12s | %12s | %6s | %5s\n' \
           size conns 's3 req/s' 'plain req/s' ratio steal
    printf '%s\n' "------------+--------------+--------------+-------+------"
    read -r _ _ _ url < <(grep '^head ' "$tmp/urls")
    plain="http://127.0.0.1:$plainport/obj-4k"
    for c in $head_conns; do
        run_ab "$url" "$c" 1 > /dev/null
        run_ab "$plain" "$c" 1 > /dev/null
        read -r st0 tt0 < <(cpu_stat)
        read -r s3rps s3bad < <(run_ab "$url" "$c")
        read -r plrps plbad < <(run_ab "$plain" "$c")
        line=$(awk -v a="$s3rps" -v b="$plrps" -v c="$c" \
                   -v st="$(steal_since "$st0" "$tt0")" 'BEGIN {
            printf "%-5s %5d | %12.1f | %12.1f | %5.2fx | %4d%%",
                   "4k", c, a, b, (b > 0 ? a / b : 0), st }')
        note=
        if [ "$s3bad" != 0 ] || [ "$plbad" != 0 ]; then
            note=" failed: s3 $s3bad plain $plbad"; status=1
        fi
        echo "$line$note"
    done
fi

if [[ " $sections " == *" access "* ]]; then
    echo
    echo "GET of 4 KiB (wrk, presigned): a user's managed key on a bucket" \
         "with a 10-statement policy vs the root key on one without," \
         "${repeat} run(s) each, median"
    echo
    printf '%-5s %5s | %12s | %12s | %6s | %5s\n' \
           size conns 'user req/s' 'root req/s' ratio steal
    printf '%s\n' "------------+--------------+--------------+-------+------"
    admin() {
        "$py" "$top/scripts/s3-admin" --json \
            --endpoint "http://127.0.0.1:$s3port/.s3-admin" \
            --access-key "$access" --secret-key "$secret" "$@"
    }
    admin user create benchuser > /dev/null
    admin key create benchuser > "$tmp/key.json"
    read -r uak usk < <("$py" -c 'import json, sys
k = json.load(open(sys.argv[1]))["key"]
print(k["access_key"], k["secret_key"])' "$tmp/key.json")
    "$py" "$top/scripts/bench-prep.py" "http://127.0.0.1:$s3port" \
        "$access" "$secret" "$region" benchpol --policy "$tmp/www/obj-4k" \
        benchuser
    read -r _ _ size root_url < <(grep '^get obj-4k ' "$tmp/urls")
    user_url=$("$py" "$top/scripts/bench-prep.py" \
               "http://127.0.0.1:$s3port" "$uak" "$usk" "$region" benchpol \
               --get obj-4k)
    uh=$(check "$user_url" "$size")
    rh=$(check "$root_url" "$size")
    for c in $conns; do
        run_wrk "$user_url" "$c" 1 "$uh" > /dev/null
        run_wrk "$root_url" "$c" 1 "$rh" > /dev/null
        : > "$tmp/user.runs"
        : > "$tmp/root.runs"
        read -r st0 tt0 < <(cpu_stat)
        for _ in $(seq "$repeat"); do
            run_wrk "$user_url" "$c" "$duration" "$uh" >> "$tmp/user.runs"
            run_wrk "$root_url" "$c" "$duration" "$rh" >> "$tmp/root.runs"
        done
        if [ -n "${BENCH_VERBOSE:-}" ]; then
            echo "  user req/s: $(cut -d' ' -f1 "$tmp/user.runs" | xargs)"
            echo "  root req/s: $(cut -d' ' -f1 "$tmp/root.runs" | xargs)"
        fi
        read -r urps _ ubad _ < <(median < "$tmp/user.runs")
        read -r rrps _ rbad _ < <(median < "$tmp/root.runs")
        line=$(awk -v a="$urps" -v b="$rrps" -v c="$c" \
                   -v st="$(steal_since "$st0" "$tt0")" 'BEGIN {
            printf "%-5s %5d | %12.1f | %12.1f | %5.2fx | %4d%%",
                   "4k", c, a, b, (b > 0 ? a / b : 0), st }')
        note=
        if [ "$ubad" != 0 ] || [ "$rbad" != 0 ]; then
            note=" non-2xx: user $ubad root $rbad"; status=1
        fi
        echo "$line$note"
    done
fi

run_put() {
    # $1 file, $2 parallel, $3 file of URLs: prints "seconds failed done"
    "$py" "$top/scripts/bench-put.py" "$1" "$2" "$3"
}

if [[ " $sections " == *" put "* ]]; then
    echo
    echo "PUT of new keys (s3: presigned, MD5 for the ETag, s3_fsync $fsync;" \
         "plain: dav_methods PUT, no fsync);"
    echo "4 KiB: wrk for ${duration}s; larger: bench-put.py, 400 of 1 MiB or" \
         "16 of 64 MiB per run"
    echo
    printf '%-5s %5s | %12s %10s | %12s %10s | %6s | %5s\n' \
           size conns 's3 req/s' 's3 MB/s' 'plain req/s' 'plain MB/s' ratio \
           steal
    printf '%s\n' \
        "------------+-------------------------+-------------------------+-------+------"
    declare -A put_n=([4k]=2000 [1m]=400 [64m]=16)
    run=0
    for s in $put_sizes; do
        if [ "$s" = 4k ]; then
            for c in $conns; do
                run=$((run + 1))
                prep --put "put$run-$s" $((duration * put_rate + 1000)) \
                    > "$tmp/s3.put" 2>> "$tmp/prep.err"
                sync
                read -r st0 tt0 < <(cpu_stat)
                read -r s3rps _ s3bad s3err _ s3re < <(run_wrk \
                    "http://127.0.0.1:$s3port/" "$c" "$duration" 0 \
                    "$tmp/put.lua" "$tmp/obj-4k" "$tmp/s3.put")
                sync
                read -r plrps _ plbad plerr _ _ < <(run_wrk \
                    "http://127.0.0.1:$plainport/" "$c" "$duration" 0 \
                    "$tmp/put.lua" "$tmp/obj-4k" - "/put/$run-")
                ratio=$(awk -v a="$s3rps" -v b="$plrps" \
                            'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
                line=$(awk -v a="$s3rps" -v b="$plrps" -v r="$ratio" \
                           -v c="$c" -v st="$(steal_since "$st0" "$tt0")" \
                           'BEGIN {
                    printf "%-5s %5d | %12.1f %10.1f | %12.1f %10.1f | %5.2fx | %4d%%",
                           "4k", c, a, a / 256, b, b / 256, r, st }')
                note=
                if [ "$s3bad" != 0 ] || [ "$plbad" != 0 ]; then
                    note=" non-2xx: s3 $s3bad plain $plbad"; status=1
                fi
                if [ "$s3err" != 0 ] || [ "$plerr" != 0 ]; then
                    note="$note socket errors: s3 $s3err plain $plerr"
                fi
                if [ "$s3re" != 0 ]; then
                    note="$note s3 reused $s3re keys (BENCH_PUT_RATE)"
                fi
                echo "$line$note"
                aim "PUT 4 KiB, $c conns" "$ratio" min 0.5
                find "$tmp/www/put" -mindepth 1 -delete
            done
            continue
        fi
        n=${put_n[$s]}
        for c in $put_conns; do
            run=$((run + 1))
            prep --put "put$run-$s" "$n" > "$tmp/s3.put" 2>> "$tmp/prep.err"
            seq 0 $((n - 1)) | sed "s|^|http://127.0.0.1:$plainport/put/$run-$s-|" \
                > "$tmp/plain.put"
            sync
            read -r st0 tt0 < <(cpu_stat)
            read -r s3t s3bad _ < <(run_put "$tmp/obj-$s" "$c" "$tmp/s3.put")
            sync
            read -r plt plbad _ < <(run_put "$tmp/obj-$s" "$c" "$tmp/plain.put")
            line=$(awk -v a="$s3t" -v b="$plt" -v n="$n" -v sz="${bytes[$s]}" \
                       -v s="$s" -v c="$c" -v st="$(steal_since "$st0" "$tt0")" \
                       'BEGIN {
                printf "%-5s %5d | %12.1f %10.1f | %12.1f %10.1f | %5.2fx | %4d%%",
                       s, c, n / a, n * sz / a / 1048576, n / b,
                       n * sz / b / 1048576, b / a, st }')
            note=
            if [ "$s3bad" != 0 ] || [ "$plbad" != 0 ]; then
                note=" failed: s3 $s3bad plain $plbad"; status=1
            fi
            echo "$line$note"
            if [ "$s" = 64m ]; then
                aim "PUT 64 MiB, $c streams" \
                    "$(awk -v a="$s3t" -v b="$plt" 'BEGIN { print b / a }')" \
                    min 0.8
            fi
            find "$tmp/www/put" -mindepth 1 -delete
        done
    done
fi

if [[ " $sections " == *" mixed "* ]]; then
    echo
    echo "GET of 4 KiB from the S3 server at $mixed_conns connections (wrk," \
         "${duration}s): p99 latency alone and"
    echo "beside one stream of 64 MiB PUTs (bench-put.py, new keys," \
         "s3_fsync $fsync); ${repeat} run(s) each, alternating, median"
    echo
    printf '%-14s | %10s %10s | %10s | %5s\n' \
           'GET' 'req/s' 'p99 ms' 'PUT MB/s' steal
    printf '%s\n' "---------------+-----------------------+------------+------"
    read -r _ _ _ url < <(grep '^get obj-4k ' "$tmp/urls")
    h=$(check "$url" 4096)
    run_wrk "$url" "$mixed_conns" 1 "$h" > /dev/null
    : > "$tmp/alone.runs"
    : > "$tmp/beside.runs"
    : > "$tmp/mixed.puts"
    sync
    read -r st0 tt0 < <(cpu_stat)
    for r in $(seq "$repeat"); do
        run_wrk "$url" "$mixed_conns" "$duration" "$h" >> "$tmp/alone.runs"
        prep --put "mixed$r" $((duration * 2 + 8)) > "$tmp/s3.put" \
            2>> "$tmp/prep.err"
        "$py" "$top/scripts/bench-put.py" "$tmp/obj-64m" 1 "$tmp/s3.put" \
            $((duration + 2)) >> "$tmp/mixed.puts" &
        putpid=$!
        sleep 1
        run_wrk "$url" "$mixed_conns" "$duration" "$h" >> "$tmp/beside.runs"
        wait "$putpid"
    done
    steal=$(steal_since "$st0" "$tt0")
    ap99=$(med 5 < "$tmp/alone.runs")
    bp99=$(med 5 < "$tmp/beside.runs")
    awk -v a="$(med 1 < "$tmp/alone.runs")" -v p="$ap99" -v st="$steal" \
        'BEGIN { printf "%-14s | %10.1f %10.2f | %10s | %4d%%\n", "alone",
                 a, p, "-", st }'
    mb=$(awk '{ t += $1; d += $3 } END { printf "%.1f", (t ? d * 64 / t : 0) }' \
             "$tmp/mixed.puts")
    awk -v a="$(med 1 < "$tmp/beside.runs")" -v p="$bp99" -v m="$mb" \
        -v st="$steal" \
        'BEGIN { printf "%-14s | %10.1f %10.2f | %10.1f | %4d%%\n",
                 "beside PUTs", a, p, m, st }'
    if [ -n "${BENCH_VERBOSE:-}" ]; then
        echo "  alone p99:  $(cut -d' ' -f5 "$tmp/alone.runs" | xargs)"
        echo "  beside p99: $(cut -d' ' -f5 "$tmp/beside.runs" | xargs)"
    fi
    bad=$(cat "$tmp/alone.runs" "$tmp/beside.runs" | awk '{ b += $3 }
              END { print b + 0 }')
    pbad=$(awk '{ b += $2 } END { print b + 0 }' "$tmp/mixed.puts")
    if [ "$bad" != 0 ] || [ "$pbad" != 0 ]; then
        echo "  failed: GET $bad, PUT $pbad"; status=1
    fi
    aim "GET 4 KiB p99 beside 64 MiB PUTs" \
        "$(awk -v a="$ap99" -v b="$bp99" 'BEGIN { print (a > 0 ? b / a : 0) }')" \
        max 2
fi

if [[ " $sections " == *" cache "* ]]; then
    echo
    echo "GET of 4 KiB from the S3 server at $mixed_conns connections (wrk," \
         "${duration}s) while a filler (wrk, 2"
    echo "connections, a new URL each request, 1 KiB answers) goes through" \
         "a location of the same nginx"
    echo "with proxy_cache (inactive=1s: the cache manager, which is the" \
         "metadata process, deletes"
    echo "each second's entries in one slice) or without; ${repeat} run(s)" \
         "each, alternating, median"
    echo
    printf '%-14s | %10s %10s | %12s | %11s | %5s\n' \
           filler 'GET req/s' 'p99 ms' 'filler req/s' 'cache files' steal
    printf '%s\n' \
        "---------------+-----------------------+--------------+-------------+------"
    read -r _ _ _ url < <(grep '^get obj-4k ' "$tmp/urls")
    h=$(check "$url" 4096)
    : > "$tmp/cache.u"
    : > "$tmp/cache.c"
    sync
    read -r st0 tt0 < <(cpu_stat)
    for _ in $(seq "$repeat"); do
        for where in u c; do
            # the cache manager of an empty cache sleeps 10 s: the filler
            # starts 12 s before the measurement
            warm=3
            [ "$where" = c ] && warm=12
            wrk -t1 -c2 -d$((duration + warm + 1))s --timeout 60s \
                -s "$tmp/fill.lua" "http://127.0.0.1:$cacheport/$where/" \
                > "$tmp/fill.out" 2>&1 &
            fillpid=$!
            sleep "$warm"
            read -r rps _ bad _ p99 _ < <(run_wrk "$url" "$mixed_conns" \
                                              "$duration" "$h")
            nfiles=$(find "$tmp/s3/pcache" -type f 2>/dev/null | wc -l)
            wait "$fillpid"
            # "GET req/s, p99, filler req/s, cache files, failed"
            awk -v a="$rps" -v p="$p99" -v n="$nfiles" -v b="$bad" '
                /^BENCH / { f = $2 * 1e6 / $4; fb = $5 + $6 }
                END { print a, p, f + 0, n, b + (f ? fb : 1) }' \
                "$tmp/fill.out" >> "$tmp/cache.$where"
        done
    done
    steal=$(steal_since "$st0" "$tt0")
    p99s=()
    for where in u c; do
        f=$tmp/cache.$where
        awk -v w="$where" -v a="$(med 1 < "$f")" -v p="$(med 2 < "$f")" \
            -v fr="$(med 3 < "$f")" -v n="$(med 4 < "$f")" -v st="$steal" \
            'BEGIN {
            printf "%-14s | %10.1f %10.2f | %12.1f | %11d | %4d%%\n",
                   (w == "c" ? "proxy_cache" : "no cache"), a, p, fr, n, st }'
        if [ -n "${BENCH_VERBOSE:-}" ]; then
            echo "  p99: $(cut -d' ' -f2 "$f" | xargs)"
        fi
        bad=$(awk '{ b += $5 } END { print b + 0 }' "$f")
        if [ "$bad" != 0 ]; then
            echo "  failed: $bad (GET non-2xx, filler errors)"; status=1
        fi
        p99s+=("$(med 2 < "$f")")
    done
    aim "GET 4 KiB p99, busy proxy_cache" \
        "$(awk -v a="${p99s[0]}" -v b="${p99s[1]}" \
               'BEGIN { print (a > 0 ? b / a : 0) }')" - 0
fi

mp() {
    "$py" "$top/scripts/bench-multipart.py" "$@"
}

if [[ " $sections " == *" versions "* ]]; then
    echo
    echo "ListObjectsV2 of a versioned bucket vs a plain one" \
         "(bench-versions.py)"
    echo
    "$py" "$top/scripts/bench-versions.py" \
        --keys "${BENCH_VERSIONS_KEYS:-100000}" | grep -v '^  '
fi

if [[ " $sections " == *" multipart "* ]]; then
    mp_size=${BENCH_MP_SIZE:-1024}
    mp_conns=${BENCH_MP_CONNS:-"1 4"}
    mp_runs=${BENCH_MP_RUNS:-5}
    mp_parts=${BENCH_MP_PARTS:-"2:5m 2:256m 1000:5m"}
    s3ep=(http://127.0.0.1:"$s3port" "$access" "$secret" "$region" bench)
    mib=1048576

    head -c $((5 * mib)) /dev/urandom > "$tmp/part-5m"
    head -c $((256 * mib)) /dev/urandom > "$tmp/part-256m"
    head -c $((mp_size * mib)) /dev/urandom > "$tmp/mp-src"

    echo
    echo "CompleteMultipartUpload: the request alone (its parts uploaded" \
         "before), median"
    echo
    printf '%6s %9s %10s | %12s
' parts 'part size' 'object' \
           'complete ms'
    printf '%s\n' "-----------------------------+-------------"
    for cell in $mp_parts; do
        n=${cell%:*}
        ps=${cell#*:}
        runs=$mp_runs
        [ "$n" -gt 100 ] && runs=1
        sync
        read -r _ obj secs bad < <(mp complete "${s3ep[@]}" \
                                      "$tmp/part-$ps" "$n" "$runs")
        awk -v n="$n" -v ps="$ps" -v o="$obj" -v t="$secs" -v b="$bad" \
            'BEGIN { printf "%6d %9s %8.0f M | %12.1f%s\n", n, ps,
                     o / 1048576, t * 1000, (b ? "  FAILED " b : "") }'
        [ "$bad" = 0 ] || status=1
    done

    echo
    echo "GET of a $mp_size MiB object: multipart (8 MiB parts, one" \
         "sendfile buffer per part) vs one PutObject"
    echo
    read -r t bad < <(mp upload "${s3ep[@]}" "$tmp/mp-src" $((8 * mib)) 8 \
                         mp-get)
    [ "$bad" = 0 ] || { echo "bench: multipart upload failed" >&2; exit 1; }
    prep --put single 1 > "$tmp/single.put" 2>> "$tmp/prep.err"
    read -r t bad _ < <(run_put "$tmp/mp-src" 1 "$tmp/single.put")
    mpurl=$(mp get "${s3ep[@]}" mp-get)
    singleurl=$(mp get "${s3ep[@]}" single-0)
    sync
    find "$tmp/s3/data/objects" -type f -exec cat {} + > /dev/null
    mph=$(check "$mpurl" $((mp_size * mib)))
    sh=$(check "$singleurl" $((mp_size * mib)))

    printf '%5s | %12s %10s | %12s %10s | %6s | %5s\n' conns \
           'mp req/s' 'mp MB/s' 'single req/s' 'single MB/s' ratio steal
    printf '%s\n' \
        "------+-------------------------+-------------------------+-------+------"
    for c in $mp_conns; do
        run_wrk "$mpurl" "$c" 1 "$mph" > /dev/null
        run_wrk "$singleurl" "$c" 1 "$sh" > /dev/null
        : > "$tmp/mp.runs"
        : > "$tmp/single.runs"
        read -r st0 tt0 < <(cpu_stat)
        for _ in $(seq "$repeat"); do
            run_wrk "$mpurl" "$c" "$duration" "$mph" >> "$tmp/mp.runs"
            run_wrk "$singleurl" "$c" "$duration" "$sh" >> "$tmp/single.runs"
        done
        read -r arps amb abad _ < <(median < "$tmp/mp.runs")
        read -r brps bmb bbad _ < <(median < "$tmp/single.runs")
        awk -v a="$arps" -v am="$amb" -v b="$brps" -v bm="$bmb" -v c="$c" \
            -v st="$(steal_since "$st0" "$tt0")" 'BEGIN {
            printf "%5d | %12.2f %10.1f | %12.2f %10.1f | %5.2fx | %4d%%\n",
                   c, a, am, b, bm, (bm > 0 ? am / bm : 0), st }'
        if [ "$abad" != 0 ] || [ "$bbad" != 0 ]; then status=1; fi
    done

    echo
    echo "Upload of $mp_size MiB: 8-way multipart (8 MiB parts, create to" \
         "complete) vs dav PUT, ${repeat} run(s) each, median"
    echo
    printf '%-34s | %8s | %8s\n' how seconds 'MB/s'
    printf '%s\n' "-----------------------------------+----------+---------"
    : > "$tmp/up.s3"
    : > "$tmp/up.one"
    : > "$tmp/up.eight"
    read -r st0 tt0 < <(cpu_stat)
    for r in $(seq "$repeat"); do
        sync
        mp upload "${s3ep[@]}" "$tmp/mp-src" $((8 * mib)) 8 "mp-up$r" \
            >> "$tmp/up.s3"
        sync
        mp dav "http://127.0.0.1:$plainport/put/one" "$tmp/mp-src" \
            $((mp_size * mib)) 1 >> "$tmp/up.one"
        rm -f "$tmp"/www/put/*
        sync
        mp dav "http://127.0.0.1:$plainport/put/eight" "$tmp/mp-src" \
            $((8 * mib)) 8 >> "$tmp/up.eight"
        rm -f "$tmp"/www/put/*
    done
    steal=$(steal_since "$st0" "$tt0")
    for f in s3:"s3 multipart, 8 parallel" one:"dav PUT, one request" \
             eight:"dav PUT, 8 parallel of 8 MiB"; do
        sort -n "$tmp/up.${f%%:*}" | awk -v w="${f#*:}" -v m="$mp_size" '
            { t[NR] = $1; bad += $2 }
            END { x = t[int((NR + 1) / 2)]
                  printf "%-34s | %8.2f | %8.1f%s\n", w, x, m / x,
                         (bad ? "  FAILED " bad : "") }'
    done > "$tmp/up.table"
    cat "$tmp/up.table"
    grep -q FAILED "$tmp/up.table" && status=1
    awk -v st="$steal" '
        { split($0, f, "|"); t[NR] = f[2] + 0 }
        END { printf "ratio (s3 MB/s over dav MB/s): %.2fx of one PUT," \
                     " %.2fx of 8 parallel PUTs; steal %d%%\n",
                     t[2] / t[1], t[3] / t[1], st }' "$tmp/up.table"
fi

cpu_of() {
    # $1: server directory; CPU time (utime + stime, clock ticks) of the
    # master's children so far: the workers and the metadata process
    local master
    master=$(cat "$1/nginx.pid")
    # cat skips the processes that exit meanwhile (awk would stop there)
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v p="$master" '{
        sub(/^[0-9]+ \(.*\) /, "");      # pid (comm): comm may hold spaces
        if ($2 == p) t += $12 + $13 }
        END { print t + 0 }'
}

run_cpu() {
    # $1 dir, $2 url, $3 connections, $4 header bytes: a wrk run; prints
    # "req/s us-of-server-CPU-per-request non2xx"
    local c0 c1 out
    c0=$(cpu_of "$1")
    out=$(run_wrk "$2" "$3" "$duration" "$4")
    c1=$(cpu_of "$1")
    awk -v o="$out" -v c0="$c0" -v c1="$c1" -v d="$duration" \
        -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(o, f, " "); n = f[1] * d
        printf "%.1f %.2f %d\n", f[1], (n > 0 ? (c1 - c0) * 1e6 / hz / n : 0),
               f[3] }'
}

if [[ " $sections " == *" obs "* ]]; then
    echo
    echo "GET 4 KiB with metrics ($obs_metrics) and the \$s3_* access log" \
         "(${obs_log:-on}) vs both off (wrk, ${repeat} run(s) each,"
    echo "alternating, median; CPU: workers and metadata process per request)"
    echo
    printf '%-5s %5s | %10s %8s | %10s %8s | %6s %6s | %5s\n' \
           size conns 'off req/s' 'off CPU' 'on req/s' 'on CPU' 'req/s' \
           'CPU' steal
    printf '%s\n' \
        "------------+---------------------+---------------------+---------------+------"
    read -r _ _ _ offurl < <(grep '^get obj-4k ' "$tmp/urls")
    read -r _ _ _ onurl < <(grep '^get obj-4k ' "$tmp/urls.obs")
    offh=$(check "$offurl" 4096)
    onh=$(check "$onurl" 4096)
    for c in $obs_conns; do
        run_wrk "$offurl" "$c" 1 "$offh" > /dev/null
        run_wrk "$onurl" "$c" 1 "$onh" > /dev/null
        : > "$tmp/off.runs"
        : > "$tmp/on.runs"
        read -r st0 tt0 < <(cpu_stat)
        for _ in $(seq "$repeat"); do
            run_cpu "$tmp/s3" "$offurl" "$c" "$offh" >> "$tmp/off.runs"
            run_cpu "$tmp/s3obs" "$onurl" "$c" "$onh" >> "$tmp/on.runs"
        done
        if [ -n "${BENCH_VERBOSE:-}" ]; then
            echo "  off: $(awk '{ printf "%s/%sus ", $1, $2 }' "$tmp/off.runs")"
            echo "  on:  $(awk '{ printf "%s/%sus ", $1, $2 }' "$tmp/on.runs")"
        fi
        offrps=$(med 1 < "$tmp/off.runs")
        offcpu=$(med 2 < "$tmp/off.runs")
        onrps=$(med 1 < "$tmp/on.runs")
        oncpu=$(med 2 < "$tmp/on.runs")
        bad=$(cat "$tmp/off.runs" "$tmp/on.runs" | awk '{ b += $3 } END { print b + 0 }')
        line=$(awk -v a="$offrps" -v ac="$offcpu" -v b="$onrps" -v bc="$oncpu" \
                   -v c="$c" -v st="$(steal_since "$st0" "$tt0")" 'BEGIN {
            printf "%-5s %5d | %10.1f %6.1fus | %10.1f %6.1fus | %5.2fx %5.2fx | %4d%%",
                   "4k", c, a, ac, b, bc, (a > 0 ? b / a : 0),
                   (bc > 0 ? ac / bc : 0), st }')
        note=
        if [ "$bad" != 0 ]; then
            note=" non-2xx: $bad"; status=1
        fi
        echo "$line$note"
    done
    echo "  ratios: on / off of req/s, off / on of CPU per request (1.00x:" \
         "no cost)"
    # the counters saw every request, the log has a line for each
    if [ "$obs_metrics" != off ]; then
        echo "  the on server counted $(curl -s \
            "http://127.0.0.1:$obsport/metrics" | awk '
            /^s3_requests_total\{operation="GetObject",status="2xx"\}/ {
                print $2 }') GetObjects answered 200"
    fi
    if [ "$obs_log" != off ]; then
        kill -USR1 "$(cat "$tmp/s3obs/nginx.pid")"      # flush a buffer
        sleep 0.5
        echo "  and logged $(cat "$tmp/s3obs"/access.log* | wc -l) lines"
    fi
fi

if [[ " $sections " == *" gateway "* ]]; then
    # shellcheck source=scripts/bench-gateway.sh
    . "$top/scripts/bench-gateway.sh"
fi

if [ -s "$tmp/aims" ]; then
    echo
    echo "Aims (issues 11, 12): s3 / plain nginx (or RGW), or p99 with /" \
         "without the load"
    echo
    printf '%-34s | %7s | %-8s | %s\n' cell ratio aim ''
    printf '%s\n' "-----------------------------------+---------+----------+------"
    cat "$tmp/aims"
fi

echo
echo "steal: CPU time the hypervisor gave to others during the cell's runs"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -hE '\[(alert|emerg|crit)\]' "$tmp/s3/error.log" \
        $( [ -f "$tmp/s3obs/error.log" ] && echo "$tmp/s3obs/error.log" ) >&2
then
    status=1
fi
exit $status
