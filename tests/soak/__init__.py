"""The fault campaign (issue #12): seeded random scenarios of user edits on both systems, interleaved with syncs
under random fault mixes and SIGKILLs, checked against invariants after every clean sync.

Run ``python -m tests.soak --scenarios N`` (or ``make soak SCENARIOS=N``); ``test_soak.py`` runs a bounded few in
CI. Each flow plugs in through a ``FlowAdapter`` (adapter.py): its own user actions, model and invariants.
"""
