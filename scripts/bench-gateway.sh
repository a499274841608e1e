# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034  # bench.sh's variables
# The gateway section of scripts/bench.sh (issue 12; docs/gateway.md),
# sourced by it: it uses bench.sh's servers, functions and settings
# (plain nginx, run_wrk, check, median, aim, BENCH_DURATION,
# BENCH_REPEAT...).  Run it with `scripts/bench.sh gateway`.
#
# It starts a throw-away single-node Ceph cluster (scripts/bench-ceph.py:
# t/lib/cephcluster.py, the tests' cluster; memstore, so RGW's objects
# are in the OSD's memory) and two ngx_s3 servers in gateway mode in
# front of its RGW, with t/lib/gateway.py's configuration (the tests'):
# "gw" with the proxy cache (s3_gateway_cache_valid 1h, so that a
# cached run never revalidates) and "gw-nocache" (s3_gateway_cache off).
# Objects are uploaded to RGW directly and read with presigned URLs: of
# RGW signed with the cluster's keys, of the gateways with ngx_s3's.
#
#   cached GET    4 KiB and 64 MiB through gw, after a warm-up read
#                 (the cache filled), vs plain nginx serving the same
#                 bytes from a file (aims 0.8x and 0.95x), at
#                 BENCH_GW_CONNS; RGW's usage log shows what reached it
#   uncached GET  64 MiB through gw-nocache vs RGW directly (aim 0.9x),
#                 at BENCH_GW_UP_CONNS
#   PUT           64 MiB of new keys through gw vs RGW directly (aim
#                 0.9x), bench-put.py, at most 16 per run, no PUT
#                 started after BENCH_DURATION; deleted (and RGW's
#                 garbage collected) after each run
#   latency       GET 4 KiB through gw-nocache vs RGW directly, one
#                 connection: p50 and p99, and the difference (the
#                 latency the gateway adds)
#
# Beside MB/s, each GET and PUT cell shows the server's CPU time per MiB
# of body (/proc): the nginx's workers and metadata process, or RGW's
# radosgw and OSD; it moves less with the machine's load than MB/s.
#
# Environment (besides bench.sh's):
#   BENCH_GW_CONNS     cached GET connection counts (default "1 16")
#   BENCH_GW_UP_CONNS  uncached GET and PUT connection counts (default
#                      "1 4")
#   BENCH_GW_EXTRA     more http-level directives for both gateways,
#                      e.g. "proxy_buffer_size 256k; proxy_buffers 8 256k;
#                      proxy_busy_buffers_size 512k;
#                      client_body_buffer_size 256k;"
#   BENCH_CEPH_BYTES   the OSD's memstore size (default 4 GiB)
#   BENCH_RGW_OPTIONS  options of RGW's beast frontend (default
#                      "tcp_nodelay=1"; scripts/bench-ceph.py)

gw_conns=${BENCH_GW_CONNS:-"1 16"}
gw_up_conns=${BENCH_GW_UP_CONNS:-"1 4"}
gw_bucket=gwbench
gw_dir=$tmp/gw
mkdir -p "$gw_dir"

echo
echo "Gateway (issue 12): starting a Ceph cluster (scripts/bench-ceph.py)"

# the cluster: killed by cleanup (SIGQUIT) or when this shell dies
"$py" "$top/scripts/bench-ceph.py" "$gw_dir" 2> "$gw_dir/ceph.err" &
gw_ceph=$!
pids+=("$gw_ceph")
for _ in $(seq 1800); do
    [ -s "$gw_dir/ready" ] && break
    if ! kill -0 "$gw_ceph" 2>/dev/null; then
        echo "bench: the Ceph cluster did not start:" >&2
        cat "$gw_dir/ceph.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [ ! -s "$gw_dir/ready" ]; then
    echo "bench: the Ceph cluster did not start in 180 s" >&2
    exit 1
fi
read -r gw_rgw gw_ckey gw_csecret gw_cregion gw_cstart < "$gw_dir/ready"
gw_rgwhost=${gw_rgw#http://}
gw_cconf=$gw_dir/ceph/ceph.conf

rgw_admin() {
    radosgw-admin -c "$gw_cconf" -n client.admin "$@"
}

rgw_sent() {
    # bytes RGW sent for GETs of the bench bucket so far (its usage log,
    # written every second)
    rgw_admin usage show --uid ngx-s3-test 2> /dev/null | "$py" -c '
import json, sys
n = 0
for e in json.load(sys.stdin).get("entries", []):
    for b in e["buckets"]:
        if b["bucket"] == sys.argv[1]:
            n += sum(c["bytes_sent"] for c in b["categories"]
                     if c["category"] == "get_obj")
print(n)' "$gw_bucket"
}

# the gateways: t/lib/gateway.py's http and server blocks
gw_conf() {
    # $1 directory, $2 port, $3 proxy cache zone or off
    "$py" - "$top/t/lib" "$1" "$gw_rgw" "$gw_ckey" "$gw_csecret" \
        "$gw_cregion" "$3" << 'END'
import sys, types
sys.path.insert(0, sys.argv[1])
import gateway
c = types.SimpleNamespace(endpoint=sys.argv[3], access_key=sys.argv[4],
                          secret_key=sys.argv[5], region=sys.argv[6])
conf = gateway.gateway_conf(c, sys.argv[2], cache=sys.argv[7], valid='1h')
print(conf.http)
print('@@')
print(conf.server)
END
}

for gw_name in gw gw-nocache; do
    d=$gw_dir/$gw_name
    mkdir -p "$d"
    port=$(free_port)
    zone=s3_gw
    [ "$gw_name" = gw-nocache ] && zone=off
    gw_conf "$d" "$port" "$zone" > "$d/gw.conf"
    {
        echo "load_module $module;"
        common "$d"
        echo "http {"
        http_common "$d"
        cat << END
    s3_data $d/data;
    s3_region $region;
    s3_access_key $access $secret;
    s3_fsync $fsync;
END
        sed '/^@@$/,$d' "$d/gw.conf"
        echo "    ${BENCH_GW_EXTRA:-}"
        cat << END
    server {
        listen 127.0.0.1:$port;
        error_page 400 403 405 411 413 414 500 501 503 /.s3-error;
        error_page 494 =494 /.s3-error;
        location / { s3; }
END
        sed '1,/^@@$/d' "$d/gw.conf"
        echo "    }"
        echo "}"
    } > "$d/nginx.conf"
    if ! "$nginx" -t -q -p "$d/" -c "$d/nginx.conf" -e "$d/error.log"; then
        echo "bench: the $gw_name configuration is refused" \
             "($d/nginx.conf)" >&2
        exit 1
    fi
    start "$d"
    echo "$port" > "$d/port"
done
gw_port=$(cat "$gw_dir/gw/port")
gw_nport=$(cat "$gw_dir/gw-nocache/port")

# the objects: in RGW (uploaded directly) and in plain nginx's root
for s in 4k 64m; do
    [ -f "$tmp/obj-$s" ] || head -c "${bytes[$s]}" /dev/urandom > "$tmp/obj-$s"
    [ -f "$tmp/www/obj-$s" ] || cp "$tmp/obj-$s" "$tmp/www/obj-$s"
done
gw_prep() {
    # $1 endpoint, $2 access key, $3 secret, $4 region, then bench-prep's
    "$py" "$top/scripts/bench-prep.py" "$1" "$2" "$3" "$4" "$gw_bucket" \
        "${@:5}"
}
if ! gw_prep "$gw_rgw" "$gw_ckey" "$gw_csecret" "$gw_cregion" \
        "$tmp/www/obj-4k" "$tmp/www/obj-64m" > "$gw_dir/urls.rgw" \
        2> "$gw_dir/prep.err"; then
    echo "bench: upload to RGW failed:" >&2
    cat "$gw_dir/prep.err" >&2
    exit 1
fi
declare -A gw_url
for s in 4k 64m; do
    gw_url[rgw-$s]=$(awk -v n="obj-$s" '$1 == "get" && $2 == n { print $4 }' \
                         "$gw_dir/urls.rgw")
    gw_url[gw-$s]=$(gw_prep "http://127.0.0.1:$gw_port" "$access" "$secret" \
                        "$region" --get "obj-$s")
    gw_url[gwn-$s]=$(gw_prep "http://127.0.0.1:$gw_nport" "$access" \
                         "$secret" "$region" --get "obj-$s")
done
sync
cat "$tmp/www/obj-4k" "$tmp/www/obj-64m" > /dev/null

gw_check() {
    # check() that names the server and shows its error log on failure
    # $1 url, $2 size, $3 server directory (or "")
    local got
    got=$(curl -s -D "$tmp/hdr" -o /dev/null \
               -w '%{http_code} %{size_download}' "$1")
    if [ "$got" != "200 $2" ]; then
        echo "bench: GET $1 answered '$got', want '200 $2'" >&2
        cat "$tmp/hdr" >&2
        [ -n "$3" ] && tail -20 "$3/error.log" >&2
        exit 1
    fi
    wc -c < "$tmp/hdr"
}

cat > "$gw_dir/lat.lua" << END
-- summary.lua, and a line "LAT p50 p99 p99.9" in microseconds
dofile("$tmp/summary.lua")
END
cat >> "$gw_dir/lat.lua" << 'END'
local summary = done
done = function(s, latency, requests)
    summary(s, latency, requests)
    io.write(string.format("LAT %d %d %d\n", latency:percentile(50),
             latency:percentile(99), latency:percentile(99.9)))
end
END

gw_cpu() {
    # $1: an nginx's directory, or "ceph": CPU time so far (clock ticks)
    # of its workers and metadata process, or of radosgw and the OSD
    if [ "$1" != ceph ]; then
        cpu_of "$1"
        return
    fi
    awk '$1 == "client.rgw.a" || $1 == "osd.0" { print $2 }' \
        "$gw_dir/pids" | while read -r p; do
        cat "/proc/$p/stat" 2>/dev/null || true
    done | awk '{ sub(/^[0-9]+ \(.*\) /, ""); t += $12 + $13 }
                END { print t + 0 }'
}

gw_run() {
    # $1 url, $2 conns, $3 header bytes, $4 what gw_cpu measures: a wrk
    # run; prints run_wrk's line and the server's CPU microseconds per
    # MiB of body
    local c0 c1 out
    c0=$(gw_cpu "$4")
    out=$(run_wrk "$1" "$2" "$duration" "$3")
    c1=$(gw_cpu "$4")
    awk -v o="$out" -v c="$((c1 - c0))" -v d="$duration" \
        -v hz="$(getconf CLK_TCK)" 'BEGIN {
        split(o, f, " "); m = f[2] * d
        printf "%s %.0f\n", o, (m > 0 ? c * 1e6 / hz / m : 0) }'
}

gw_pair() {
    # $1 size, $2 conns, $3 url A, $4 header A, $5 CPU of A (gw_cpu), $6
    # url B, $7 header B, $8 CPU of B: warm-up runs, then $repeat runs
    # of each, alternating; prints the table line, leaves the ratio of
    # MB/s in gw_ratio
    local s=$1 c=$2 rps amb abad aerr brps bmb bbad berr acpu bcpu st0 \
          tt0 line note
    run_wrk "$3" "$c" 1 "$4" > /dev/null
    run_wrk "$6" "$c" 1 "$7" > /dev/null
    : > "$gw_dir/a.runs"
    : > "$gw_dir/b.runs"
    read -r st0 tt0 < <(cpu_stat)
    for _ in $(seq "$repeat"); do
        gw_run "$3" "$c" "$4" "$5" >> "$gw_dir/a.runs"
        gw_run "$6" "$c" "$7" "$8" >> "$gw_dir/b.runs"
    done
    if [ -n "${BENCH_VERBOSE:-}" ]; then
        echo "  MB/s: $(cut -d' ' -f2 "$gw_dir/a.runs" | xargs)" \
             "| $(cut -d' ' -f2 "$gw_dir/b.runs" | xargs)"
    fi
    read -r rps amb abad aerr < <(median < "$gw_dir/a.runs")
    read -r brps bmb bbad berr < <(median < "$gw_dir/b.runs")
    acpu=$(med 7 < "$gw_dir/a.runs")
    bcpu=$(med 7 < "$gw_dir/b.runs")
    gw_ratio=$(awk -v a="$amb" -v b="$bmb" \
                   'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
    line=$(awk -v a="$rps" -v am="$amb" -v ac="$acpu" -v b="$brps" \
               -v bm="$bmb" -v bc="$bcpu" -v s="$s" -v c="$c" \
               -v r="$gw_ratio" -v st="$(steal_since "$st0" "$tt0")" 'BEGIN {
        printf "%-5s %5d | %10.1f %8.1f %7d | %10.1f %8.1f %7d | %5.2fx | %4d%%",
               s, c, a, am, ac, b, bm, bc, r, st }')
    note=
    if [ "$abad" != 0 ] || [ "$bbad" != 0 ]; then
        note=" non-2xx: $abad and $bbad"; status=1
    fi
    if [ "$aerr" != 0 ] || [ "$berr" != 0 ]; then
        note="$note socket errors: $aerr and $berr"
    fi
    echo "$line$note"
}

gw_header() {
    # $1, $2: the two columns' names
    printf '%-5s %5s | %10s %8s %7s | %10s %8s %7s | %6s | %5s\n' \
           size conns "$1 req/s" 'MB/s' 'CPU' "$2 req/s" 'MB/s' 'CPU' \
           ratio steal
    printf '%s\n' \
        "------------+-----------------------------+-----------------------------+-------+------"
}

echo "Ceph 16.2 (one monitor, one memstore OSD, RGW at $gw_rgwhost) started" \
     "in ${gw_cstart}s"

# cached GET: gw vs plain nginx
echo
echo "Cached GET through the gateway (proxy_cache, 1 MiB slices; filled by" \
     "a first read) vs plain nginx"
echo "serving the same file (wrk, presigned URLs, ${repeat} run(s) each," \
     "median; ratio of MB/s; CPU: microseconds"
echo "of the server's CPU per MiB of body, its workers and metadata" \
     "process, as the clients share the cores)"
echo
gw_header gw plain
sleep 2
gw_sent0=$(rgw_sent)
for s in 4k 64m; do
    gw_check "${gw_url[gw-$s]}" "${bytes[$s]}" "$gw_dir/gw" > /dev/null
    gwh=$(gw_check "${gw_url[gw-$s]}" "${bytes[$s]}" "$gw_dir/gw")
    plh=$(gw_check "http://127.0.0.1:$plainport/obj-$s" "${bytes[$s]}" "")
    for c in $gw_conns; do
        gw_pair "$s" "$c" "${gw_url[gw-$s]}" "$gwh" "$gw_dir/gw" \
            "http://127.0.0.1:$plainport/obj-$s" "$plh" "$tmp/plain"
        if [ "$s" = 4k ]; then
            aim "GW cached GET 4 KiB, $c conns" "$gw_ratio" min 0.8
        else
            aim "GW cached GET 64 MiB, $c conns" "$gw_ratio" min 0.95
        fi
    done
done
sleep 2
gw_sent1=$(rgw_sent)
awk -v a="$gw_sent0" -v b="$gw_sent1" -v s="${bytes[64m]}" 'BEGIN {
    printf "  RGW sent %.1f MiB for these cells (the first reads: %.1f" \
           " MiB)\n", (b - a) / 1048576, (s + 4096) / 1048576 }'

# uncached GET: gw-nocache vs RGW
echo
echo "Uncached GET of 64 MiB: through the gateway (s3_gateway_cache off)" \
     "vs RGW directly"
echo "(wrk, presigned URLs, ${repeat} run(s) each, median; ratio of MB/s;" \
     "CPU per MiB: the gateway's"
echo "nginx, which RGW's work comes on top of, vs RGW's radosgw and OSD)"
echo
gw_header gw RGW
gwh=$(gw_check "${gw_url[gwn-64m]}" "${bytes[64m]}" "$gw_dir/gw-nocache")
rgwh=$(gw_check "${gw_url[rgw-64m]}" "${bytes[64m]}" "")
for c in $gw_up_conns; do
    gw_pair 64m "$c" "${gw_url[gwn-64m]}" "$gwh" "$gw_dir/gw-nocache" \
        "${gw_url[rgw-64m]}" "$rgwh" ceph
    aim "GW uncached GET 64 MiB, $c conns" "$gw_ratio" min 0.9
done

# PUT: gw vs RGW
echo
echo "PUT of 64 MiB, new keys: through the gateway vs RGW directly" \
     "(bench-put.py, presigned, at most"
echo "16 per run, none started after ${duration}s; ${repeat} run(s) each," \
     "alternating, median; keys deleted after each run)"
echo
printf '%5s | %10s %8s %7s | %10s %8s %7s | %6s | %5s\n' \
       conns 'gw PUT/s' 'MB/s' 'CPU' 'RGW PUT/s' 'MB/s' 'CPU' ratio steal
printf '%s\n' \
    "------+-----------------------------+-----------------------------+-------+------"
gw_run=0
for c in $gw_up_conns; do
    : > "$gw_dir/put.gw"
    : > "$gw_dir/put.rgw"
    read -r st0 tt0 < <(cpu_stat)
    for _ in $(seq "$repeat"); do
        for side in gw rgw; do
            gw_run=$((gw_run + 1))
            if [ "$side" = gw ]; then
                gw_prep "http://127.0.0.1:$gw_port" "$access" "$secret" \
                    "$region" --put "put$gw_run" 16 > "$gw_dir/put.urls"
            else
                gw_prep "$gw_rgw" "$gw_ckey" "$gw_csecret" "$gw_cregion" \
                    --put "put$gw_run" 16 > "$gw_dir/put.urls"
            fi
            sync
            who=ceph
            [ "$side" = gw ] && who=$gw_dir/gw
            c0=$(gw_cpu "$who")
            out=$("$py" "$top/scripts/bench-put.py" "$tmp/obj-64m" "$c" \
                      "$gw_dir/put.urls" "$duration")
            c1=$(gw_cpu "$who")
            # "MB/s PUT/s failed CPU-us-per-MiB"
            echo "$out" | awk -v c="$((c1 - c0))" \
                -v hz="$(getconf CLK_TCK)" '{
                printf "%.1f %.2f %d %.0f\n", ($1 > 0 ? $3 * 64 / $1 : 0),
                       ($1 > 0 ? $3 / $1 : 0), $2,
                       ($3 > 0 ? c * 1e6 / hz / ($3 * 64) : 0) }' \
                >> "$gw_dir/put.$side"
            gw_prep "$gw_rgw" "$gw_ckey" "$gw_csecret" "$gw_cregion" \
                --delete "put$gw_run" > /dev/null
            rgw_admin gc process --include-all > /dev/null 2>&1 || true
        done
    done
    if [ -n "${BENCH_VERBOSE:-}" ]; then
        echo "  gw MB/s: $(cut -d' ' -f1 "$gw_dir/put.gw" | xargs)" \
             "| RGW: $(cut -d' ' -f1 "$gw_dir/put.rgw" | xargs)"
    fi
    a=$(med 1 < "$gw_dir/put.gw")
    b=$(med 1 < "$gw_dir/put.rgw")
    gw_ratio=$(awk -v a="$a" -v b="$b" \
                   'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
    bad=$(cat "$gw_dir/put.gw" "$gw_dir/put.rgw" \
              | awk '{ b += $3 } END { print b + 0 }')
    line=$(awk -v a="$a" -v b="$b" -v c="$c" -v r="$gw_ratio" \
               -v ac="$(med 4 < "$gw_dir/put.gw")" \
               -v bc="$(med 4 < "$gw_dir/put.rgw")" \
               -v st="$(steal_since "$st0" "$tt0")" 'BEGIN {
        printf "%5d | %10.2f %8.1f %7d | %10.2f %8.1f %7d | %5.2fx | %4d%%",
               c, a / 64, a, ac, b / 64, b, bc, r, st }')
    note=
    if [ "$bad" != 0 ]; then
        note=" failed: $bad"; status=1
    fi
    echo "$line$note"
    aim "GW PUT 64 MiB, $c streams" "$gw_ratio" min 0.9
done

# added latency: gw-nocache vs RGW, one connection, 4 KiB
echo
echo "Latency of an uncached GET of 4 KiB, one connection: through the" \
     "gateway (s3_gateway_cache off)"
echo "vs RGW directly (wrk, ${duration}s, ${repeat} run(s) each," \
     "alternating, median)"
echo
printf '%-10s | %10s | %8s %8s %8s | %5s\n' '' 'req/s' 'p50 ms' 'p99 ms' \
       'p99.9 ms' steal
printf '%s\n' "-----------+------------+----------------------------+------"
gwh=$(gw_check "${gw_url[gwn-4k]}" 4096 "$gw_dir/gw-nocache")
rgwh=$(gw_check "${gw_url[rgw-4k]}" 4096 "")
run_wrk "${gw_url[gwn-4k]}" 1 1 "$gwh" > /dev/null
run_wrk "${gw_url[rgw-4k]}" 1 1 "$rgwh" > /dev/null
: > "$gw_dir/lat.gw"
: > "$gw_dir/lat.rgw"
read -r st0 tt0 < <(cpu_stat)
for _ in $(seq "$repeat"); do
    for side in gw rgw; do
        if [ "$side" = gw ]; then
            u=${gw_url[gwn-4k]}; h=$gwh
        else
            u=${gw_url[rgw-4k]}; h=$rgwh
        fi
        # "req/s p50 p99 p99.9 non2xx" (ms)
        read -r rps _ bad _ < <(run_wrk "$u" 1 "$duration" "$h" \
                                    "$gw_dir/lat.lua")
        awk -v r="$rps" -v b="$bad" '/^LAT / {
            printf "%s %.3f %.3f %.3f %d\n", r, $2 / 1000, $3 / 1000,
                   $4 / 1000, b }' "$tmp/wrk.out" >> "$gw_dir/lat.$side"
    done
done
steal=$(steal_since "$st0" "$tt0")
for side in gw rgw; do
    f=$gw_dir/lat.$side
    awk -v w="$side" -v r="$(med 1 < "$f")" -v p50="$(med 2 < "$f")" \
        -v p99="$(med 3 < "$f")" -v p999="$(med 4 < "$f")" -v st="$steal" \
        'BEGIN { printf "%-10s | %10.1f | %8.3f %8.3f %8.3f | %4d%%\n",
                 (w == "gw" ? "gw" : "RGW"), r, p50, p99, p999, st }'
    bad=$(awk '{ b += $5 } END { print b + 0 }' "$f")
    if [ "$bad" != 0 ]; then
        echo "  non-2xx: $bad"; status=1
    fi
done
read -r gw_p50 gw_p99 < <(echo "$(med 2 < "$gw_dir/lat.gw")" \
                              "$(med 3 < "$gw_dir/lat.gw")")
read -r rgw_p50 rgw_p99 < <(echo "$(med 2 < "$gw_dir/lat.rgw")" \
                                "$(med 3 < "$gw_dir/lat.rgw")")
awk -v a="$gw_p50" -v b="$rgw_p50" -v c="$gw_p99" -v d="$rgw_p99" 'BEGIN {
    printf "  added by the gateway: p50 %+.3f ms, p99 %+.3f ms\n",
           a - b, c - d }'
aim "GW latency 4 KiB p50, gw / RGW" \
    "$(awk -v a="$gw_p50" -v b="$rgw_p50" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
    - 0
aim "GW latency 4 KiB p99, gw / RGW" \
    "$(awk -v a="$gw_p99" -v b="$rgw_p99" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
    - 0

for gw_name in gw gw-nocache; do
    if grep -hE '\[(alert|emerg|crit)\]' "$gw_dir/$gw_name/error.log" >&2
    then
        status=1
    fi
done
