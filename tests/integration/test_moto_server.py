"""The local stack's moto server keeps connections open between requests, as DynamoDB's endpoints do, and closes
them when it cannot tell where a request ends or when it stops (local_stack/moto_server.py)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LIST_TABLES = "DynamoDB_20120810.ListTables"


def _signed(endpoint: str, body: bytes = b"{}") -> dict[str, str]:
    request = AWSRequest(
        method="POST", url=endpoint + "/", data=body, headers={"X-Amz-Target": LIST_TABLES, "Content-Type": "application/x-amz-json-1.0"}
    )
    SigV4Auth(Credentials("local", "local"), "dynamodb", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def _connection(endpoint: str) -> http.client.HTTPConnection:
    parts = urlsplit(endpoint)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)


def _list_tables(connection: http.client.HTTPConnection, endpoint: str, **headers: str) -> http.client.HTTPResponse:
    connection.request("POST", "/", body=b"{}", headers={**_signed(endpoint), **headers})
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert "TableNames" in json.loads(response.read())
    return response


def test_one_connection_carries_request_after_request(moto_endpoint: str) -> None:
    connection = _connection(moto_endpoint)
    try:
        _list_tables(connection, moto_endpoint)
        first_socket = connection.sock
        for _ in range(3):
            response = _list_tables(connection, moto_endpoint)
            assert response.getheader("Connection") != "close"
        assert connection.sock is first_socket
    finally:
        connection.close()


def test_a_request_that_expects_100_continue_is_answered(moto_endpoint: str) -> None:
    connection = _connection(moto_endpoint)
    try:
        _list_tables(connection, moto_endpoint, Expect="100-continue")
        _list_tables(connection, moto_endpoint)
    finally:
        connection.close()


def test_a_chunked_request_is_answered_and_its_connection_closed(moto_endpoint: str) -> None:
    connection = _connection(moto_endpoint)
    try:
        headers = _signed(moto_endpoint)
        headers.pop("Content-Length", None)
        connection.request("POST", "/", body=iter([b"{", b"}"]), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 200
        assert "TableNames" in json.loads(response.read())
        assert response.getheader("Connection") == "close"  # werkzeug's own handling, which closes
    finally:
        connection.close()


@pytest.fixture
def own_server() -> Iterator[tuple[object, str]]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    from local_stack import moto_patches

    moto_patches.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield server, f"http://{host}:{port}"
    finally:
        server.stop()


def test_a_stopped_server_ends_the_connections_left_open(own_server: tuple[object, str]) -> None:
    server, endpoint = own_server
    connection = _connection(endpoint)
    try:
        _list_tables(connection, endpoint)
        server.stop()  # type: ignore[attr-defined]
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            _list_tables(connection, endpoint)
    finally:
        connection.close()
