"""`helpdesk serve --workers N`: N server processes answering on one port.

One process runs one event loop on one core; with more cores, more processes serve more operators at once.
Each worker builds its own services after it starts (no database connection crosses a fork) and runs the
background loops too, which are made for several servers on one database (tests/soak/test_two_servers.py).
The parent only holds the port, restarts a worker that dies, and passes SIGTERM / SIGINT on.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

log = logging.getLogger(__name__)
CONFIG_ERROR_EXIT = 2  # a worker that cannot start (invalid KB, bad settings) stops them all
POLL_S = 0.5


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket on host:port that other sockets of this user may share (SO_REUSEPORT).

    Each worker listens on a socket of its own, so the kernel spreads new connections evenly over them; one
    socket shared by all would let whichever process happens to be in accept() take most of them.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it a
    # keep-alive client waits ~40 ms per response (Nagle's algorithm against delayed ACKs)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _listen_and_serve(serve_one: Callable[[socket.socket], None], host: str, port: int) -> None:
    sock = bound_socket(host, port)
    sock.listen(2048)
    serve_one(sock)


def supervise(serve_one: Callable[[socket.socket], None], host: str, port: int, workers: int) -> int:
    """Run `serve_one(socket)` in `workers` forked processes until SIGTERM / SIGINT; the exit code to use."""
    # Held (bound, never listening) while the workers run: a port taken by another program fails here, at
    # once, and no program that does not share ports can take it between a worker's death and its successor.
    reservation = bound_socket(host, port)
    context = multiprocessing.get_context("fork")
    stopping = False

    def start() -> BaseProcess:
        process = context.Process(target=_listen_and_serve, args=(serve_one, host, port), daemon=False)
        process.start()
        return process

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process in running:
            if process.is_alive():
                process.terminate()

    running = [start() for _ in range(workers)]
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    code = 0
    try:
        while running:
            time.sleep(POLL_S)
            for process in [p for p in running if not p.is_alive()]:
                running.remove(process)
                process.join()
                if stopping:
                    continue
                if process.exitcode == CONFIG_ERROR_EXIT:
                    log.error("a worker could not start; stopping the others")
                    code = CONFIG_ERROR_EXIT
                    stop(signal.SIGTERM, None)
                    continue
                log.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                running.append(start())
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        reservation.close()
    return code
