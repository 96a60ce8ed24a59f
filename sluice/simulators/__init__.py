"""Simulators: real HTTP servers (FastAPI + SQLite) standing in for the systems Sluice syncs.

Rule: simulators never import the clients in ``sluice.systems`` (one misread spec would
then pass both sides); they are built from the specs alone.
"""
