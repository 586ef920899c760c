"""In-memory stand-ins for what the services store and read (the protocols of leadscoring/services/stores.py), for
the unit tests and the benchmarks: a service built on them runs its real code with no AWS client and no socket.

Outside the deployed layer and outside tests/, so that benchmarks import them without importing the test suite.
"""
