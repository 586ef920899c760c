"""Unit tests run with sockets disabled (make test-unit passes --disable-socket): pure logic only."""
