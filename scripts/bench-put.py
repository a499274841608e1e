#!/usr/bin/python3
"""Helper of scripts/bench.sh: PUT one file to each URL of a list, N at a
time, each worker on its own keep-alive connection, the body sent with
sendfile() so that the client costs little next to the server.

    bench-put.py FILE PARALLEL URLFILE [SECONDS]

prints "<seconds> <failed> <done>" (a failure: a status other than 200
or 201); with SECONDS, no PUT starts after that many seconds (the URLs
left are not used).
"""

import os
import socket
import sys
import threading
import time
import urllib.parse


def put_all(path, urls, result, deadline):
    size = os.path.getsize(path)
    u = urllib.parse.urlsplit(urls[0])
    s = socket.create_connection((u.hostname, u.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rf = s.makefile('rb')
    failed = 0
    done = 0
    with open(path, 'rb') as f:
        for url in urls:
            if deadline and time.monotonic() > deadline:
                break
            u = urllib.parse.urlsplit(url)
            target = u.path + ('?' + u.query if u.query else '')
            s.sendall(('PUT %s HTTP/1.1\r\nHost: %s\r\n'
                       'Content-Length: %d\r\n\r\n'
                       % (target, u.netloc, size)).encode())
            sent = 0
            while sent < size:
                sent += os.sendfile(s.fileno(), f.fileno(), sent,
                                    size - sent)
            status = int(rf.readline().split()[1])
            length = 0
            while True:
                line = rf.readline()
                if line in (b'\r\n', b''):
                    break
                name, _, value = line.partition(b':')
                if name.strip().lower() == b'content-length':
                    length = int(value)
            rf.read(length)
            if status not in (200, 201):
                failed += 1
            done += 1
    s.close()
    result.append((failed, done))


def main():
    path, parallel, urlfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    with open(urlfile) as f:
        urls = [line.strip() for line in f if line.strip()]
    parts = [urls[i::parallel] for i in range(parallel)]
    result = []
    t0 = time.monotonic()
    deadline = t0 + seconds if seconds else 0
    threads = [threading.Thread(target=put_all,
                                args=(path, p, result, deadline))
               for p in parts if p]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1 = time.monotonic()
    failed = sum(r[0] for r in result) + len(threads) - len(result)
    print('%.3f %d %d' % (t1 - t0, failed, sum(r[1] for r in result)))


if __name__ == '__main__':
    main()
