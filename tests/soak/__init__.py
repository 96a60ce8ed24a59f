"""The fault campaign (issue #12): seeded random scenarios of user edits on both systems, interleaved with syncs
under random fault mixes and SIGKILLs, checked against invariants after every clean sync.

Run ``python -m tests.soak --scenarios N`` (or ``make soak SCENARIOS=N``); ``test_soak.py`` runs a bounded few in
CI. Modules: world.py (simulators, the three kinds of sync, traffic counters), runner.py (scenarios and the
checks every flow shares), figures.py (counts and findings), adapter.py (what a flow plugs in) and one adapter
per flow (contact_customer.py, with its values and views in contact_values.py).

A new flow (products, orders) adds an adapter: ``begin`` learns the seeded records, ``act`` makes one random user
action, ``write_budget`` says what those actions allow a sync to write, ``check`` reads both systems and returns
the violations, ``checkpoint`` takes the agreed state as the next base; then one line in ``runner.ADAPTERS``.
"""
