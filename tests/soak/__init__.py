"""The fault campaign (issue #12): seeded random scenarios of user edits on both systems, interleaved with syncs
under random fault mixes and SIGKILLs, checked against invariants after every clean sync.

Run ``python -m tests.soak --scenarios N`` (or ``make soak SCENARIOS=N``); ``test_soak.py`` runs a bounded few in
CI. Modules: world.py (simulators, the scenario's sluice.toml, the three kinds of sync, traffic counters, the
story), runner.py (scenarios and the checks every flow shares), figures.py (counts and findings), adapter.py
(what a flow plugs in), edits.py (the edit model and the no-lost-update judgement every adapter uses) and one
adapter per flow: contact_customer.py (values and views in contact_values.py), product_product.py and
sale_order.py (the order header).

A new flow adds an adapter: ``begin`` learns the seeded records, ``act`` makes one random user action,
``write_budget`` says what those actions allow a sync to write, ``observe`` notes what an unchecked sync settled,
``wants_full``/``clean_syncs`` say how the next check must sync, ``check`` reads both systems and returns the
violations, ``checkpoint`` takes the agreed state as the next base; ``enables`` names the flows its
sluice.toml switches on; then one line in ``runner.ADAPTERS``.
"""
