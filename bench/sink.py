"""A sink HTTP/1.1 server for the benchmarks: reads and discards every request body, then answers
200 OK (optionally after a fixed delay). It parses nothing but the request head, so the client is
what gets measured.

    /usr/bin/python3 bench/sink.py [--port 0] [--delay-ms 0] [--exit-on-stdin-end]

Prints one JSON line once listening: {"url","uploadUrl","pid"}. Stops on SIGTERM/SIGINT, and when
standard input ends with --exit-on-stdin-end (so it never outlives a crashed parent).

Why Python and not node:http: the receiving server shares the machine's cores with the client
being measured, so its CPU counts against every contender. Bodies go into one reused 4 MiB
buffer (socket.recv_into), which costs only the kernel's copy; node:http (and a node:net server,
whose accepted sockets cannot take `onread`) allocates a new 64 KiB buffer per read and runs JS
per chunk: per 512 MiB from pkgpush 0.66 s of CPU against 0.20 s here, from twine (8 KiB writes)
1.66 s against 0.83 s (same minutes, load ~15).

Requests: Content-Length bodies (what twine, curl -F and pkgpush send) and chunked ones,
`Expect: 100-continue`, keep-alive (HTTP/1.1 default, `Connection: close` honoured), one thread
per connection.
"""

import argparse
import json
import os
import re
import signal
import socket
import sys
import threading
import time

BUFFER = 4 * 1024 * 1024
MAX_HEAD = 64 * 1024
IDLE_TIMEOUT_S = 60
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nOK\n"
BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)", re.I)
CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.I)
EXPECT = re.compile(rb"\r\nexpect:[ \t]*100-continue", re.I)
CLOSE = re.compile(rb"\r\nconnection:[^\r\n]*close", re.I)


class Closed(Exception):
    """The client closed the connection (or sent something this sink cannot frame)."""


class Connection:
    """One client connection: bytes already received (`pending`) and the reused read buffer."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray(BUFFER)
        self.view = memoryview(self.buffer)
        self.pending = b""

    def fill(self):
        """Appends what the socket has to `pending` (for heads and chunk-size lines only)."""
        n = self.sock.recv_into(self.view)
        if n == 0:
            raise Closed()
        self.pending += bytes(self.view[:n])

    def line(self):
        while b"\r\n" not in self.pending:
            if len(self.pending) > MAX_HEAD:
                raise Closed()
            self.fill()
        line, _, self.pending = self.pending.partition(b"\r\n")
        return line

    def head(self):
        """The request head, up to its blank line; None when the client closed between requests."""
        while b"\r\n\r\n" not in self.pending:
            if len(self.pending) > MAX_HEAD:
                raise Closed()
            try:
                self.fill()
            except Closed:
                if self.pending:
                    raise
                return None
        head, _, self.pending = self.pending.partition(b"\r\n\r\n")
        return head

    def discard(self, count):
        """Reads and drops `count` bytes: what is pending first, then straight into the buffer."""
        take = min(count, len(self.pending))
        self.pending = self.pending[take:]
        count -= take
        while count > 0:
            n = self.sock.recv_into(self.view, min(count, BUFFER))
            if n == 0:
                raise Closed()
            count -= n

    def discard_chunked(self):
        while True:
            size = int(self.line().split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while self.line():  # trailer fields, up to the blank line
                    pass
                return
            self.discard(size + 2)  # the chunk and its CRLF


def serve(sock, delay):
    conn = Connection(sock)
    try:
        sock.settimeout(IDLE_TIMEOUT_S)
        while True:
            head = conn.head()
            if head is None:
                return
            if EXPECT.search(head):
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            if CHUNKED.search(head):
                conn.discard_chunked()
            else:
                length = CONTENT_LENGTH.search(head)
                conn.discard(int(length.group(1)) if length else 0)
            if delay > 0:
                time.sleep(delay)
            sock.sendall(OK)
            request_line = head.split(b"\r\n", 1)[0]
            if CLOSE.search(head) or request_line.endswith(b" HTTP/1.0"):
                return
    except ValueError:  # a chunk size that is not hexadecimal
        try:
            sock.sendall(BAD)
        except OSError:
            pass
    except (Closed, OSError):
        pass
    finally:
        sock.close()


def main():
    parser = argparse.ArgumentParser(description="Benchmark sink: discards request bodies.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--exit-on-stdin-end", action="store_true")
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(128)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    print(json.dumps({"url": url, "uploadUrl": f"{url}/legacy/", "pid": os.getpid()}), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    if args.exit_on_stdin_end:

        def watch():
            while sys.stdin.buffer.read(65536):
                pass
            os._exit(0)

        threading.Thread(target=watch, daemon=True).start()
    delay = args.delay_ms / 1000
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(sock, delay), daemon=True).start()


if __name__ == "__main__":
    main()
