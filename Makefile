# ngx_s3: the quick start and the developer targets.
#
#   make run     install what is missing, build, start nginx with the module
#   make stop    stop it
#   make test    install test dependencies, build, run every test (the
#                Ceph tests fail rather than skip without Ceph)
#   make deb     build the Debian package libnginx-mod-http-s3 (./*.deb)
#
# S3_LISTEN (default 127.0.0.1:9000), S3_DATA (default ./var) and S3_TLS=1
# (HTTPS and HTTP/2 with a certificate made once into $S3_DATA/tls) are read
# by run and stop.

SHELL := /bin/sh

.PHONY: all build run stop test test-deps unit integration asan fuzz bench \
        style clean deb

all: build

build:
	scripts/install-deps.sh
	scripts/build.sh

run: build
	scripts/run.sh start

stop:
	scripts/run.sh stop

test-deps:
	scripts/install-deps.sh test

test: test-deps
	scripts/build.sh
	scripts/style.sh
	t/unit/run.sh
	S3_CEPH_REQUIRED=1 scripts/test.sh

# the whole suite against a module built with AddressSanitizer and UBSan
asan: test-deps
	scripts/asan.sh

fuzz:
	fuzz/run.sh

bench: build
	scripts/install-deps.sh bench
	scripts/bench.sh

style:
	scripts/style.sh

deb:
	scripts/install-deps.sh deb
	scripts/deb.sh

clean:
	rm -rf build build-asan build-asan-faults build-faults build-deb \
	    t/unit/bin fuzz/bin
