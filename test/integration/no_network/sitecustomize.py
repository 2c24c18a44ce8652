"""Put on PYTHONPATH by the integration tests: every Python process of a recipe run refuses
network connections and name lookups (anything but Unix sockets and localhost) and records
each attempt in the file named by $LAD_NETWORK_LOG, so a test can assert that a recipe tried
none. Then it imports the modules named in $LAD_TEST_SHIMS (comma-separated; test/integration/
shims, e.g. deepspeed_on_cpu), as only one sitecustomize runs."""

import os
import socket
import traceback

LOCAL = {"localhost", "127.0.0.1", "::1", None}
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


def _record(what: str) -> None:
    with open(os.environ["LAD_NETWORK_LOG"], "a", encoding="utf-8") as f:
        f.write(f"pid {os.getpid()}: {what}\n{''.join(traceback.format_stack(limit=12))}\n")


def _check(sock: socket.socket, address) -> None:
    if sock.family != socket.AF_UNIX and not (isinstance(address, tuple) and address[0] in LOCAL):
        _record(f"connect {address!r}")
        raise ConnectionRefusedError(f"network refused by the test: {address!r}")


def connect(self, address):
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host not in LOCAL:
        _record(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"name lookup refused by the test: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


if os.environ.get("LAD_NETWORK_LOG"):
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo = getaddrinfo

for _name in filter(None, os.environ.get("LAD_TEST_SHIMS", "").split(",")):
    __import__(_name)
