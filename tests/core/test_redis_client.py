"""Our Redis clients turn a read lost under load into a RedisError, which every caller treats as
"Redis did not answer". `make bench` met redis-py 8 letting a ValueError ("I/O operation on closed
file") out of a handshake that timed out while its buffer was closed: the throttle, which lets a
request through when Redis does not answer, answered 500 instead."""

import socket
import threading
import time

import pytest
import redis

from core.redis_client import _quick


@pytest.fixture
def silent_server():
    """A TCP server that accepts and never answers (a Redis stalled by load)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for connection in accepted:
        connection.close()


def _read_cut_off(client: redis.Redis, *, whole: bool = False) -> BaseException:
    """Connect (the handshake waits for an answer); close the read's buffer under it, as another
    thread's disconnect does (``whole``: the socket buffer too, not only its bytes); what the
    read raises."""
    connection = client.connection_pool.make_connection()
    raised: list[BaseException] = []

    def handshake() -> None:
        try:
            connection.connect()
        except BaseException as error:  # what escapes is the point
            raised.append(error)

    reading = threading.Thread(target=handshake)
    reading.start()
    deadline = time.monotonic() + 1
    while getattr(connection._parser, "_buffer", None) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if whole:
        connection._parser._buffer.close()
    else:
        connection._parser._buffer._buffer.close()
    reading.join(timeout=10)
    return raised[0]


@pytest.mark.parametrize(("whole", "seen"), [(False, ValueError), (True, AttributeError)])
def test_a_read_torn_down_under_it_is_a_redis_error(silent_server, whole, seen):
    error = _read_cut_off(_quick(silent_server), whole=whole)

    assert isinstance(error, redis.ConnectionError), repr(error)
    assert isinstance(error.__cause__, seen)


def test_redis_py_alone_lets_a_value_error_out(silent_server):
    """The defect the connection class is for, shown on redis-py's own client: when this fails,
    redis-py has fixed it and the class may go."""
    plain = redis.Redis.from_url(silent_server, socket_timeout=0.3, socket_connect_timeout=0.5)

    assert isinstance(_read_cut_off(plain), ValueError)
