"""Reaching a Dask scheduler for :mod:`xent.runner.dask`: the address probed first, with a
bounded time (``$XENT_CONNECT_TIMEOUT``), so that a refused connection, a peer that is not
a Dask scheduler and one that never answers are each one clear line; then a client of it
(or of a LocalCluster started here).
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager

from ..errors import UsageError, param

NEEDS_DASK = (
    f"{param('cluster')} needs Dask and its distributed scheduler: pip install 'xent[dask]'"
)


def _dask():
    try:
        import distributed
    except ImportError:
        raise UsageError(NEEDS_DASK, parameter="cluster") from None
    return distributed


@contextmanager
def _sigint_ignored():
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


CONNECT_TIMEOUT = 10.0
# A Dask scheduler's first message (its handshake) is a few hundred bytes; its first 8
# bytes are the message's length. Anything longer is another protocol, or a hostile peer
# (distributed itself would try to allocate the length it reads: "HTTP/1.1" is 3 EiB).
HANDSHAKE_BYTES = 1 << 20


def connect_timeout() -> float:
    """Seconds to reach a scheduler: ``$XENT_CONNECT_TIMEOUT``, else 10."""
    text = os.environ.get("XENT_CONNECT_TIMEOUT", "").strip()
    if not text:
        return CONNECT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 3600:
        raise UsageError(
            f"{text!r} is not a time to wait: use seconds, more than 0 and at most 3600",
            source="XENT_CONNECT_TIMEOUT",
        )
    return value


def probe_scheduler(address: str, timeout: float) -> None:
    """Check, within ``timeout`` seconds, that a Dask scheduler answers at a ``tcp://``
    address (the default scheme): a refused connection, a silent peer and a peer that
    speaks another protocol are each one line, never a hang or a huge allocation.
    Other schemes (``tls://``, ``ucx://``) are left to distributed."""
    import socket
    import struct

    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":
        return
    host, port = parse_host_port(location)
    wait = f"within {timeout:g} s (XENT_CONNECT_TIMEOUT)"

    def fail(why: str) -> UsageError:
        return UsageError(f"the Dask scheduler {address!r}: {why}", parameter="cluster")

    try:
        with socket.create_connection((host, port), timeout=timeout) as peer:
            head = _receive(peer, 8, fail)
            (length,) = struct.unpack("<Q", head)
            if not 0 < length <= HANDSHAKE_BYTES:
                raise fail(f"not a Dask scheduler (it answered {head!r})")
            if not _is_handshake(_receive(peer, length, fail)):
                raise fail("not a Dask scheduler (its first message is not a Dask handshake)")
    except ConnectionRefusedError:
        raise fail("connection refused (is the scheduler running, on this port?)") from None
    except TimeoutError:
        raise fail(f"no answer {wait}: not a Dask scheduler, or unreachable") from None
    except OSError as error:
        raise fail(error.strerror or str(error)) from None


def _receive(peer, size: int, fail) -> bytes:
    data = bytearray()
    while len(data) < size:
        more = peer.recv(min(size - len(data), 1 << 16))
        if not more:
            raise fail("the connection was closed: not a Dask scheduler")
        data += more
    return bytes(data)


def _is_handshake(message: bytes) -> bool:
    """Whether ``message`` (less its length) is a Dask handshake: frames whose first is a
    msgpack map naming the pickle protocol. Read as data only: nothing is unpickled."""
    import struct

    import msgpack  # type: ignore[import-untyped]

    try:
        (count,) = struct.unpack_from("<Q", message)
        lengths = struct.unpack_from(f"<{count}Q", message, 8) if 0 < count < 64 else ()
        start = 8 + 8 * len(lengths)
        first = msgpack.unpackb(message[start : start + lengths[0]], raw=False)
    except (ValueError, IndexError, struct.error, msgpack.UnpackException, TypeError):
        return False
    return isinstance(first, dict) and "pickle-protocol" in first


@contextmanager
def _bounded(seconds: float, address: str):
    """At most ``seconds`` for the block (the main thread only: an alarm): distributed's
    client waits without end for a peer that answered the handshake and then nothing."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def alarm(signum, frame):
        raise UsageError(
            f"the Dask scheduler {address!r}: no answer within {seconds:g} s "
            "(XENT_CONNECT_TIMEOUT)",
            parameter="cluster",
        )

    before = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


class Connected:
    """A client of the scheduler at ``address`` (``local``: a LocalCluster of
    ``workers`` processes, closed with the run)."""

    def __init__(self, address: str, workers: int | None) -> None:
        self.address, self.workers = address, workers
        self.cluster = self.client = None

    def __enter__(self):
        import logging

        distributed = _dask()
        try:
            if self.address == "local":
                # Ctrl-C reaches every process of the terminal's group: the workers are
                # started ignoring it (Python keeps an inherited SIG_IGN), so that only
                # this process hears it, cancels the tasks and closes the cluster.
                with _sigint_ignored():
                    self.cluster = distributed.LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                        silence_logs=logging.ERROR,
                    )
                self.client = distributed.Client(self.cluster)
            else:
                timeout = connect_timeout()
                probe_scheduler(self.address, timeout)
                with _bounded(2 * timeout, self.address):
                    self.client = distributed.Client(self.address, timeout=timeout)
        except (OSError, ValueError, TypeError) as error:  # unreachable, or no address
            self.__exit__(None, None, None)
            why = f"({error})" if str(error) else "(it did not complete the connection)"
            raise UsageError(
                f"cannot reach the Dask scheduler {self.address!r} {why}", parameter="cluster"
            ) from None
        except UsageError:
            self.__exit__(None, None, None)
            raise
        return self.client

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
