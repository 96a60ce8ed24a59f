"""Deterministic demo data for the shop: customers, products and orders for a (seed, n).

Rule: a pure function of (seed, n) apart from the store it fills. About 60 % of the customers are the
SuperOffice simulator's companies of the same seed (same e-mail, sometimes in other letter case, and the
same org number), so a first sync has real matches to find instead of duplicates to create; the rest are
the shop's own customers. Products: the SuperOffice NOK catalogue's codes as SKUs plus shop-only items, or
for ``products=N`` N items of which about ``MATCH_SHARE`` carry a SuperOffice code (the first N codes of
``superoffice.seed.product_lines``) as SKU and the rest shop-only SKUs ``WEB-00001``...
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sluice.simulators.customwebshop.service import ShopService
from sluice.simulators.superoffice import seed as superoffice_seed

MATCH_SHARE = 0.6
SHOP_ONLY_PRODUCTS = (
    ("WEB-GIFT", "Gavekort", "stk", "500.00", "0.00"),
    ("WEB-MUG", "Kaffekopp med logo", "stk", "149.00", "25.00"),
    ("WEB-TEE", "T-skjorte", "stk", "249.00", "25.00"),
    ("WEB-BOOK", "Håndbok (trykt)", "stk", "399.00", "15.00"),
)
STATUSES = ("pending", "confirmed", "confirmed", "completed", "on_hold", "cancelled")


def customers(seed: int, n: int) -> Iterator[dict[str, Any]]:
    """``n`` customer bodies; matched ones carry the company's e-mail and org number."""
    rng = random.Random(f"customwebshop-customers-{seed}")
    for company in superoffice_seed.companies(seed, n):
        if rng.random() < MATCH_SHARE:
            email = company["email"].upper() if rng.random() < 0.1 else company["email"]
            yield {
                "company_name": company["name"],
                "organization_number": company["org_nr"],
                "email": email,
                "phone": company["phone"],
                "website": company["url"],
                "billing_address": _address(company),
                "shipping_address": _address(company),
                "customer_group": "B2B",
                "accepts_marketing": rng.random() < 0.5,
                "active": True,
            }
        else:
            number = company["contact_id"]
            yield {
                "company_name": f"Nettkunde {number} AS",
                "email": f"kunde{number}.s{seed}@nettbutikk.example",
                "phone": f"+47 {rng.randrange(40000000, 99999999)}",
                "billing_address": {
                    "line1": f"Storgata {rng.randrange(1, 200)}",
                    "postal_code": "0155",
                    "city": "Oslo",
                    "country_code": "NO",
                },
                "customer_group": rng.choice(("B2C", "B2B", "VIP")),
                "accepts_marketing": rng.random() < 0.3,
                "active": True,
            }


def _matching(product: dict[str, Any]) -> dict[str, Any]:
    """The shop's copy of a SuperOffice NOK product: its ``Code`` as SKU, prices as decimal strings."""
    return {
        "sku": product["code"],
        "name": product["name"],
        "price": _money(product["unit_list_price"]),
        "cost": _money(product["unit_cost"]),
        "vat_rate": _money(product["vat"]),
        "currency": "NOK",
        "unit": product["unit"],
        "active": True,
    }


def products(seed: int = 0, n: int | None = None) -> list[dict[str, Any]]:
    """The SuperOffice NOK catalogue (``Code`` as SKU, to match on) and a few shop-only items; with ``n``,
    ``n`` items, about ``MATCH_SHARE`` of them matching SuperOffice codes (module docstring)."""
    if n is not None:
        return list(_many_products(seed, n))
    rows = [_matching(p) for p in superoffice_seed.products() if p["currency"] == "NOK"]
    for sku, name, unit, price, vat in SHOP_ONLY_PRODUCTS:
        rows.append(
            {"sku": sku, "name": name, "price": price, "vat_rate": vat, "currency": "NOK", "unit": unit, "active": True}
        )
    return rows


def _many_products(seed: int, n: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"customwebshop-products-{seed}")
    for number, product in enumerate(superoffice_seed.products(n)[:n], start=1):
        if rng.random() < MATCH_SHARE:
            yield _matching(product)
        else:
            price = _money(float(rng.randrange(49, 5000)))
            yield {"sku": f"WEB-{number:05d}", "name": f"Nettvare {number}", "price": price, "vat_rate": "25.00",
                   "currency": "NOK", "unit": "stk", "active": True}  # fmt: skip


def populate(service: ShopService, seed: int, n: int, catalogue: int | None = None) -> None:
    """Fill an empty shop: ``n`` customers, the products (``catalogue`` of them, else the default catalogue),
    and about one order per two customers."""
    rng = random.Random(f"customwebshop-orders-{seed}")
    with service.store.transaction():
        customer_ids = [service.create("customers", body).id for body in customers(seed, n)]
        product_ids = [service.create("products", body).id for body in products(seed, catalogue)]
        for number in range(1, n // 2 + 1):
            lines = [
                {"product_id": rng.choice(product_ids), "quantity": str(rng.randrange(1, 10)), "position": position}
                for position in range(1, rng.randrange(1, 4) + 1)
            ]
            service.create(
                "orders",
                {
                    "order_number": f"WEB-{seed}-{number:06d}",
                    "customer_id": rng.choice(customer_ids),
                    "status": rng.choice(STATUSES),
                    "title": f"Nettordre {number}",
                    "order_date": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                    "currency": "NOK",
                    "lines": lines,
                },
            )


def _address(company: dict[str, Any]) -> dict[str, str]:
    return {
        "line1": company["street"],
        "postal_code": company["zipcode"],
        "city": company["city"],
        "country_code": company["country"],
    }


def _money(value: float) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))
