#!/bin/sh
# Start or stop an nginx that serves S3 with the module, using an embedded
# default configuration.
#   scripts/run.sh start|stop
# S3_LISTEN (default 127.0.0.1:9000), S3_DATA (default <repo>/var, or
# /var/lib/ngx_s3 for root when the workers' user cannot reach <repo>),
# S3_REGION (default us-east-1), S3_DOMAIN (virtual-hosted base domain,
# default s3.localhost), S3_USER (the workers' user when started as root,
# default www-data), S3_TLS=1 (HTTPS and HTTP/2 on S3_LISTEN, with a
# certificate made once by a certificate authority of its own).
#
# $S3_DATA/
#   store/        s3_data: database, bodies, socket; nginx's worker user's
#   nginx/        nginx.conf, logs, temporary files, pid
#   keys.conf     the root access key (0600)
#   s3.key        s3_key_file: seals users' secrets, outside store/ (0600)
#   credentials   the same for a shell (0600)
#   tls/          S3_TLS=1: ca.pem (what clients trust), ca.key (0600),
#                 cert.pem and key.pem (0600) of the server, san
#
# Started as root, the workers and the metadata process run as S3_USER,
# which owns store/ alone; what root's master reads (nginx.conf,
# keys.conf) is not in a directory that user may write.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
listen=${S3_LISTEN:-127.0.0.1:9000}
data=${S3_DATA:-$top/var}

# started as root from a checkout the workers' user cannot reach (under
# /root, say), the default data directory is where packaged services keep
# theirs
if [ -z "${S3_DATA:-}" ] && [ "$(id -u)" = 0 ] \
   && id -u "${S3_USER:-www-data}" >/dev/null 2>&1
then
    u=${S3_USER:-www-data}
    # shellcheck disable=SC2016
    if ! setpriv --reuid="$u" --regid="$(id -gn "$u")" --clear-groups \
            sh -c 'cd "$1"' sh "$top" 2>/dev/null
    then
        data=/var/lib/ngx_s3
    fi
fi
region=${S3_REGION:-us-east-1}
domain=${S3_DOMAIN:-s3.localhost}
case "${S3_TLS:-0}" in
0|no|off|"") tls= ;;
*) tls=1 ;;
esac
module=$top/build/ngx_http_s3_module.so
nginx=${NGINX:-/usr/sbin/nginx}

mkdir -p "$data"
data=$(cd "$data" && pwd)
run=$data/nginx
conf=$run/nginx.conf
store=$data/store

stop() {
    if [ -f "$run/nginx.pid" ] && kill -0 "$(cat "$run/nginx.pid")" 2>/dev/null
    then
        "$nginx" -p "$run" -c "$conf" -s quit 2>/dev/null || true
        i=0
        while [ -f "$run/nginx.pid" ] && [ $i -lt 100 ]; do
            sleep 0.1; i=$((i + 1))
        done
        echo "ngx_s3 stopped"
    else
        echo "ngx_s3 is not running (no $run/nginx.pid)"
    fi
}

case "${1:-start}" in
stop) stop; exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

if [ ! -f "$module" ]; then
    echo "run: $module is missing: run scripts/build.sh (or make run)" >&2
    exit 1
fi

# who the workers are: never root

if [ "$(id -u)" = 0 ]; then
    user=${S3_USER:-www-data}
    if ! id -u "$user" >/dev/null 2>&1; then
        echo "run: user $user does not exist: create it" \
             "(useradd --system $user) or set S3_USER" >&2
        exit 1
    fi
    if [ "$(id -u "$user")" = 0 ]; then
        echo "run: S3_USER must not be root" >&2
        exit 1
    fi
    group=$(id -gn "$user")
    userline="user $user $group;"
    # the workers pass through $data to store/ and nginx/tmp/
    chmod 0711 "$data"
else
    user=$(id -un)
    userline=
    chmod 0700 "$data"
fi

# the layout before store/: the data was $data itself (moved once, stopped)

if [ -d "$data/db" ] && [ ! -e "$store" ]; then
    stop
    mkdir "$store"
    for d in db objects; do
        if [ -e "$data/$d" ]; then
            mv "$data/$d" "$store/$d"
        fi
    done
    rm -f "$data/meta.sock"
    echo "ngx_s3: moved the data of an older version into $store"
fi

mkdir -p "$run/logs" "$run/tmp" "$store"
chmod 0700 "$store"

# store/ is the workers' alone (nginx chowns store/ itself at start, not
# what is in it: after a run as another user, everything)

if [ "$(id -u)" = 0 ]; then
    for f in "$store" "$store/db" "$store/objects" "$store/run"; do
        if [ -e "$f" ] && [ "$(stat -c %U "$f")" != "$user" ]; then
            chown -R "$user:$group" "$store"
            break
        fi
    done
    # shellcheck disable=SC2016
    if ! setpriv --reuid="$user" --regid="$group" --clear-groups \
            sh -c 'cd "$1"' sh "$store" 2>/dev/null
    then
        echo "run: user $user cannot reach $store (a parent directory" \
             "is closed to it, as /root is): choose another place," \
             "for example S3_DATA=/var/lib/ngx_s3 make run" >&2
        exit 1
    fi
fi

# root credentials: made once, kept with the data

if [ ! -f "$data/keys.conf" ]; then
    ak=AK$(head -c 4096 /dev/urandom | tr -dc 'A-Z0-9' | head -c 18)
    sk=$(head -c 4096 /dev/urandom | tr -dc 'A-Za-z0-9' | head -c 40)
    umask 077
    printf 's3_access_key %s %s;\n' "$ak" "$sk" > "$data/keys.conf"
    umask 022
fi
chmod 0600 "$data/keys.conf"

# the key that seals users' access key secrets (s3_key_file): apart from
# s3_data, read by root's master only (docs/access.md)

if [ ! -f "$data/s3.key" ]; then
    umask 077
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$data/s3.key"
    echo >> "$data/s3.key"
    umask 022
fi
chmod 0600 "$data/s3.key"

ak=$(awk '{print $2; exit}' "$data/keys.conf")
sk=$(awk '{sub(";", "", $3); print $3; exit}' "$data/keys.conf")

# S3_TLS=1: a certificate authority made once, and a server certificate
# it signs for 127.0.0.1, localhost, the S3_LISTEN host and the S3_DOMAIN
# wildcard (made again, by the same authority, when those change)

host=${listen%:*}
[ "$host" != "$listen" ] || host=
host=${host#[}
host=${host%]}
san="DNS:localhost,IP:127.0.0.1,DNS:$domain,DNS:*.$domain"
case "$host" in
""|localhost|127.0.0.1|0.0.0.0|"*"|::) ;;
*[!0-9.]*)
    case "$host" in
    *:*) san="$san,IP:$host" ;;
    *) san="$san,DNS:$host" ;;
    esac ;;
*) san="$san,IP:$host" ;;
esac

scheme=http
if [ -n "$tls" ]; then
    scheme=https
    command -v openssl >/dev/null 2>&1 || {
        echo "run: S3_TLS=1 needs openssl (apt-get install openssl)" >&2
        exit 1; }
    t=$data/tls
    mkdir -p "$t"
    chmod 0755 "$t"
    (
        umask 077
        if [ ! -f "$t/ca.key" ] || [ ! -f "$t/ca.pem" ]; then
            openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
                -subj "/CN=ngx_s3 local CA $(hostname 2>/dev/null)" \
                -addext "basicConstraints=critical,CA:TRUE" \
                -addext "keyUsage=critical,keyCertSign,cRLSign" \
                -keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
            rm -f "$t/cert.pem"
        fi
        if [ ! -f "$t/cert.pem" ] || [ ! -f "$t/key.pem" ] \
           || [ "$(cat "$t/san" 2>/dev/null)" != "$san" ]
        then
            printf '%s\n' \
                "basicConstraints=critical,CA:FALSE" \
                "keyUsage=critical,digitalSignature,keyEncipherment" \
                "extendedKeyUsage=serverAuth" \
                "subjectAltName=$san" > "$t/ext"
            openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$domain" \
                -keyout "$t/key.pem" -out "$t/cert.csr" 2>/dev/null
            openssl x509 -req -in "$t/cert.csr" -CA "$t/ca.pem" \
                -CAkey "$t/ca.key" -CAcreateserial -days 825 \
                -extfile "$t/ext" -out "$t/cert.pem" 2>/dev/null
            rm -f "$t/cert.csr" "$t/ext"
            printf '%s\n' "$san" > "$t/san"
        fi
    ) || { echo "run: making the TLS certificate failed" >&2; exit 1; }
    chmod 0644 "$t/ca.pem" "$t/cert.pem"
    chmod 0600 "$t/ca.key" "$t/key.pem"
    listen_line="listen $listen ssl http2;"
    tls_lines="ssl_certificate $t/cert.pem;
        ssl_certificate_key $t/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:s3_ssl:10m;"
else
    listen_line="listen $listen;"
    tls_lines=
fi

# the web console's static files, where the workers may read them (the
# checkout may be closed to them): a copy made at each start
rm -rf "$run/console"
cp -R "$top/console" "$run/console"
chmod -R u=rwX,go=rX "$run/console"

# gateway mode: the upstream, its credentials and the read cache

gw_http=
gw_server=
if [ -n "${S3_GATEWAY:-}" ]; then
    if [ -z "${S3_GATEWAY_ACCESS_KEY:-}" ] \
       || [ -z "${S3_GATEWAY_SECRET_KEY:-}" ]
    then
        echo "run: S3_GATEWAY needs S3_GATEWAY_ACCESS_KEY and" \
             "S3_GATEWAY_SECRET_KEY" >&2
        exit 1
    fi
    cache=${S3_GATEWAY_CACHE:-10g}
    if [ "$cache" = 0 ]; then
        cache_line=
        cache_zone=off
    else
        mkdir -p "$run/cache"
        [ -z "$userline" ] || chown "$user:$group" "$run/cache"
        cache_line="proxy_cache_path $run/cache levels=1:2 keys_zone=s3_gw:64m
                     max_size=$cache inactive=7d use_temp_path=off;"
        cache_zone=s3_gw
    fi
    gw_http="upstream s3_upstream {
        server $S3_GATEWAY;
        keepalive 32;
    }
    $cache_line
    s3_gateway s3_upstream;
    s3_gateway_host $S3_GATEWAY;
    s3_gateway_credentials $S3_GATEWAY_ACCESS_KEY $S3_GATEWAY_SECRET_KEY;
    s3_gateway_region ${S3_GATEWAY_REGION:-$region};
    s3_gateway_cache $cache_zone;
    s3_gateway_cache_valid ${S3_GATEWAY_CACHE_VALID:-60s};"
    gw_server="include $top/conf/s3_gateway.conf;"
fi

# worker_processes auto, but never fewer than two workers
workers=$(nproc 2>/dev/null || echo 2)
[ "$workers" -ge 2 ] || workers=2

# descriptors: 65536, or as many as this machine lets nginx have (in a
# container even root may not raise its hard limit: nginx would log an
# alert at every worker's start)
nofile=65536
if ! (ulimit -n $nofile) 2>/dev/null; then
    nofile=$(ulimit -Hn)
fi

cat > "$conf" <<CONF
# written by scripts/run.sh: edit the script, not this file
load_module $module;
$userline
worker_processes $workers;
# a GET of a multipart object holds one descriptor per part it sends
worker_rlimit_nofile $nofile;
error_log $run/logs/error.log notice;
pid $run/nginx.pid;

events {
    worker_connections 4096;
}

http {
    # who did what to which object (docs/directives.md, "Variables")
    log_format s3 '\$remote_addr [\$time_local] \$s3_request_id '
                  '\$s3_access_key \$s3_user \$s3_operation '
                  '"\$s3_bucket" "\$s3_key" \$status \$s3_error_code '
                  '\$s3_object_size \$request_length \$bytes_sent '
                  '\$request_time';
    access_log $run/logs/access.log s3 buffer=64k flush=1s;
    client_body_temp_path $run/tmp/body;
    proxy_temp_path $run/tmp/proxy;
    fastcgi_temp_path $run/tmp/fastcgi;
    uwsgi_temp_path $run/tmp/uwsgi;
    scgi_temp_path $run/tmp/scgi;

    sendfile on;
    tcp_nopush on;
    open_file_cache max=10000 inactive=30s;
    client_max_body_size 0;

    s3_data $store;
    s3_region $region;
    include $data/keys.conf;
    s3_key_file $data/s3.key;
    $gw_http

    server {
        $listen_line
        server_name _;
        s3_domain $domain;
        $tls_lines

        # what nginx refuses before the module runs (a bad request line
        # or header, too large, limit_req...) as S3 XML errors
        error_page 400 403 405 411 413 414 500 501 503 /.s3-error;
        error_page 494 =494 /.s3-error;

        location / {
            s3;
        }
        $gw_server

        # users and access keys: scripts/s3-admin
        location /.s3-admin/ {
            s3_admin;
        }

        # the web console (docs/console.md); '_' is in no bucket's name
        location = /_console {
            return 301 /_console/;
        }
        location /_console/ {
            alias $run/console/;
            include $run/console/location.conf;
        }
    }
}
CONF

umask 077
cat > "$data/credentials" <<CRED
export AWS_ACCESS_KEY_ID=$ak
export AWS_SECRET_ACCESS_KEY=$sk
export AWS_DEFAULT_REGION=$region
export AWS_ENDPOINT_URL=$scheme://$listen
export S3_ADMIN_ENDPOINT=$scheme://$listen/.s3-admin
CRED
if [ -n "$tls" ]; then
    echo "export AWS_CA_BUNDLE=$data/tls/ca.pem" >> "$data/credentials"
fi
umask 022
chmod 0600 "$data/credentials"
# with sudo, the invoking user may read it (only by its path)
if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER:-}" ] \
   && id -u "$SUDO_USER" >/dev/null 2>&1
then
    chown "$SUDO_USER" "$data/credentials"
fi

# a reload keeps the module that is loaded (dlopen of the same path):
# a rebuilt module needs a restart
if [ -f "$run/nginx.pid" ] && [ "$module" -nt "$run/nginx.pid" ]; then
    stop
fi

if [ -f "$run/nginx.pid" ] && kill -0 "$(cat "$run/nginx.pid")" 2>/dev/null
then
    "$nginx" -p "$run" -c "$conf" -t -q
    "$nginx" -p "$run" -c "$conf" -s reload
    echo "ngx_s3 reloaded"
else
    "$nginx" -p "$run" -c "$conf"
fi

# wait until it answers: an anonymous request is refused with S3 XML
i=0
until curl -s ${tls:+--cacert "$data/tls/ca.pem"} "$scheme://$listen/" \
        2>/dev/null | grep -q '<Error>'
do
    i=$((i + 1))
    if [ $i -gt 50 ]; then
        echo "run: nginx did not answer on $listen; see $run/logs/error.log" >&2
        tail -n 20 "$run/logs/error.log" >&2
        exit 1
    fi
    sleep 0.1
done

cat <<MSG
ngx_s3 is running
  endpoint:   $scheme://$listen  (region $region)
  access key: $ak
  secret key: $sk
  data:       $store  (workers run as $user)
  logs:       $run/logs/
  console:    $scheme://$listen/_console/  (in a browser on this machine,
              or anywhere over https: the page signs with WebCrypto)
MSG
if [ -n "$tls" ]; then
    cat <<MSG
  TLS:        HTTPS and HTTP/2, certificate for $san
              signed by the authority $data/tls/ca.pem: clients trust it with
              AWS_CA_BUNDLE=$data/tls/ca.pem (boto3, aws CLI; in the
              credentials file), aws --ca-bundle $data/tls/ca.pem,
              rclone --ca-cert, curl --cacert, s3cmd --ca-certs
MSG
fi
cat <<MSG
Use it:  . $data/credentials
         aws --endpoint-url \$AWS_ENDPOINT_URL s3 ls
Users:   scripts/s3-admin user create alice && scripts/s3-admin key create alice
Stop it: make stop
MSG
