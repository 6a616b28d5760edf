#!/usr/bin/env python3
"""A loopback TCP relay a fault test controls (tests/cli/faults.sh).

    relay.py TARGET_PORT MODE N [COUNT]

Listens on 127.0.0.1 (an ephemeral port, printed as "port P" on stdout) and relays every
connection to 127.0.0.1:TARGET_PORT. The first COUNT connections (default 1) are faulty, after
N bytes sent by the client on that connection:
  cut   both sides are closed (a link that drops mid-request)
  flip  one byte is inverted and the rest relayed (corruption TCP's checksum missed)
Every faulty act is logged to stderr as "cut at N" / "flip at N", and every connection's end as
"closed B" (B: bytes the client sent on it), so a test can count what crossed the wire,
retries made inside libcurl included. Bounded: exits after 120 s.
"""
import selectors
import socket
import sys
import threading
import time

target, mode, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
faulty = int(sys.argv[4]) if len(sys.argv) > 4 else 1
lock = threading.Lock()


def relay(client, bad):
    upstream = socket.create_connection(("127.0.0.1", target))
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, upstream)
    sel.register(upstream, selectors.EVENT_READ, client)
    seen = 0
    try:
        while True:
            for key, _ in sel.select(timeout=60):
                src, dst = key.fileobj, key.data
                data = src.recv(1 << 16)
                if not data:
                    return
                if bad and src is client and seen + len(data) > n:
                    at = n - seen
                    if mode == "cut":
                        dst.sendall(data[:at])
                        seen += at
                        print(f"cut at {n}", file=sys.stderr, flush=True)
                        return
                    data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
                    print(f"flip at {n}", file=sys.stderr, flush=True)
                    bad = False
                if src is client:
                    seen += len(data)
                dst.sendall(data)
    except OSError:
        pass
    finally:
        print(f"closed {seen}", file=sys.stderr, flush=True)
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def main():
    global faulty
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    ls.settimeout(1)
    print(f"port {ls.getsockname()[1]}", flush=True)
    end = time.time() + 120
    while time.time() < end:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        with lock:
            bad = faulty > 0
            faulty -= 1
        threading.Thread(target=relay, args=(c, bad), daemon=True).start()


main()
