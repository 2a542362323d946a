"""Starters for real servers, shared by the test suite and the benchmark.

The model (``model``), a throwaway PostgreSQL cluster (``pg_server``) and our action
server + Rasa server(s) on a fresh database (``servers``). No pytest in here, so
``bench/`` never imports ``tests/``.
"""
