"""The dataflows Sluice ships: each module declares one flow and how to write its fields back."""

from sluice.sync.dataflows.contact_customer import CONTACT_CUSTOMER

DATAFLOWS = {flow.name: flow for flow in (CONTACT_CUSTOMER,)}

__all__ = ["CONTACT_CUSTOMER", "DATAFLOWS"]
