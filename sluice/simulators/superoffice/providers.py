"""Archive providers: which camelCase columns each list offers, their restriction type and the SQL behind them.

Rule: a provider is data (a FROM clause, a base restriction and a column map); ``odata.py`` does the querying.
Column names are matched case-insensitively and echoed back as the caller spelled them, like the service.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

SALE_STATUS = ("Unknown", "Open", "Sold", "Lost", "Stalled")
"""Sale status list: index = the numeric id a filter may use (``saleStatus oneOf (2)`` = Sold)."""


class UnknownColumn(ValueError):
    """A ``$select``/``$filter``/``$orderBy`` column the provider does not have (-> 400)."""


@dataclass(frozen=True)
class Column:
    sql: str
    kind: str  # int, float, str, bool, date (date part only), datetime, enum
    names: tuple[str, ...] = ()

    def enum_name(self, value: Any) -> str:
        """Accept the display name or its numeric id."""
        text = str(value)
        if text.isdigit() and int(text) < len(self.names):
            return self.names[int(text)]
        for name in self.names:
            if name.lower() == text.lower():
                return name
        raise UnknownColumn(f"{value!r} is not one of {', '.join(self.names)}")


@dataclass(frozen=True)
class Expansion:
    """One-to-many nested columns (FindSale's ``quote/version/alternative/...``): a query that names any column
    under ``prefix`` gets ``join`` added to the provider's source, so it returns one row per child (a parent
    without children still gets one row, with empty child columns); ``order`` keeps paging stable."""

    prefix: str
    join: str
    order: str


@dataclass(frozen=True)
class Provider:
    name: str
    entity: str
    source: str
    pk: str
    columns: dict[str, Column]
    default_select: tuple[str, ...]
    where: str = ""
    expansions: tuple[Expansion, ...] = ()  # deepest first: the first whose prefix is named wins

    def expansion(self, names: list[str]) -> Expansion | None:
        """The join the named columns need, if any of them lies under an expansion's prefix."""
        lowered = [name.lower() for name in names]
        for expansion in self.expansions:
            if any(name.startswith(expansion.prefix.lower()) for name in lowered):
                return expansion
        return None

    def column(self, name: str) -> Column:
        lower = name.lower()
        for key, col in self.columns.items():
            if key.lower() == lower:
                return col
        raise UnknownColumn(f"{self.name} has no column {name!r}")


def _j(path: str, alias: str = "t") -> str:
    return f"json_extract({alias}.data, '$.{path}')"


def _s(path: str, alias: str = "t") -> Column:
    return Column(f"coalesce({_j(path, alias)}, '')", "str")


def _i(path: str, alias: str = "t") -> Column:
    return Column(f"coalesce({_j(path, alias)}, 0)", "int")


def _f(path: str, alias: str = "t") -> Column:
    return Column(f"coalesce({_j(path, alias)}, 0.0)", "float")


def _contact_columns() -> dict[str, Column]:
    return {
        "contactId": Column("t.id", "int"),
        "name": _s("Name"),
        "orgNr": _s("OrgNr"),
        "department": _s("Department"),
        "number1": _s("Number1"),
        "category": _s("Category.Value"),
        "categoryId": _i("Category.Id"),
        "business": _s("Business.Value"),
        "countryId": _i("Country.CountryId"),
        "country": _s("Country.Name"),
        "countryIso": _s("Country.TwoLetterISOCountry"),
        "email": _s("Emails[0].Value"),
        "phone": _s("Phones[0].Value"),
        "url": _s("Urls[0].Value"),
        "postAddress/line1": _s("Address.Postal.Address1"),
        "postAddress/zip": _s("Address.Postal.Zipcode"),
        "postAddress/city": _s("Address.Postal.City"),
        "streetAddress/line1": _s("Address.Street.Address1"),
        "streetAddress/zip": _s("Address.Street.Zipcode"),
        "streetAddress/city": _s("Address.Street.City"),
        "registeredDate": Column("t.registered", "date"),
        "updatedDate": Column("t.updated", "date"),
        "contactDeleted": Column("t.deleted", "bool"),
        "deletedDate": Column("t.deleted_date", "datetime"),
    }


_CONTACT_SELECT = ("contactId", "name", "orgNr", "department", "updatedDate", "registeredDate")

_LINE_SOURCE = (
    "quote_line t LEFT JOIN quote_alternative a ON a.id = t.alternative_id "
    "LEFT JOIN quote_version v ON v.id = a.version_id LEFT JOIN quote q ON q.id = v.quote_id "
    "LEFT JOIN sale s ON s.id = q.sale_id"
)


def _line_columns() -> dict[str, Column]:
    return {
        "quoteLineId": Column("t.id", "int"),
        "quoteAlternativeId": Column("t.alternative_id", "int"),
        "erpProductKey": _s("ERPProductKey"),
        "name": _s("Name"),
        "code": _s("Code"),
        "quantity": _f("Quantity"),
        "unitListPrice": _f("UnitListPrice"),
        "unitCost": _f("UnitCost"),
        "discountAmount": _f("DiscountAmount"),
        "discountPercent": _f("DiscountPercent"),
        "subTotal": _f("SubTotal"),
        "totalPrice": _f("TotalPrice"),
        "earningAmount": _f("EarningAmount"),
        "vat": _f("VAT"),
        "status": _s("Status"),
        "rank": _i("Rank"),
        "updatedDate": Column("t.updated", "date"),
        "registeredDate": Column("t.registered", "date"),
        "alternative/quoteVersionId": Column("a.version_id", "int"),
        "alternative/name": _s("Name", "a"),
        "alternative/version/quote/quoteId": Column("v.quote_id", "int"),
        "alternative/version/quote/sale/saleId": Column("q.sale_id", "int"),
        "alternative/version/quote/sale/updatedDate": Column("s.updated", "date"),
    }


_ACTIVE_VERSION = "json_extract({}.data, '$.ActiveQuoteVersionId')"
_ALTERNATIVES = (
    f"LEFT JOIN quote eq ON eq.sale_id = t.id "
    f"LEFT JOIN quote_alternative qa ON qa.version_id = {_ACTIVE_VERSION.format('eq')}"
)
SALE_EXPANSIONS = (
    Expansion(
        "quote/version/alternative/quoteline/",
        f"{_ALTERNATIVES} LEFT JOIN quote_line ql ON ql.alternative_id = qa.id",
        "qa.id, ql.id",
    ),
    Expansion("quote/version/alternative/", _ALTERNATIVES, "qa.id"),
)
"""``quote/version`` is the quote's active version (as ``quote/version/quoteVersionId`` says)."""


def _sale_columns() -> dict[str, Column]:
    quote = "(SELECT {} FROM quote q WHERE q.sale_id = t.id)"
    version = (
        f"(SELECT {{}} FROM quote q JOIN quote_version v ON v.id = {_ACTIVE_VERSION.format('q')} "
        "WHERE q.sale_id = t.id)"
    )
    alternative, line = "quote/version/alternative/", "quote/version/alternative/quoteline/"
    return {
        "saleId": Column("t.id", "int"),
        "heading": _s("Heading"),
        "amount": _f("Amount"),
        "probability": _i("Probability"),
        "saleStatus": Column(f"coalesce({_j('Status')}, 'Open')", "enum", SALE_STATUS),
        "hasQuote": Column("EXISTS (SELECT 1 FROM quote q WHERE q.sale_id = t.id)", "bool"),
        "contactId": Column("t.contact_id", "int"),
        "personId": Column("t.person_id", "int"),
        "currencyId": _i("Currency.Id"),
        "currency": _s("Currency.Value"),
        "date": Column(_j("Saledate"), "date"),
        "registeredDate": Column("t.registered", "date"),
        "updatedDate": Column("t.updated", "date"),
        "quote/quoteId": Column(quote.format("q.id"), "int"),
        "quote/updatedDate": Column(quote.format("q.updated"), "date"),
        "quote/version/quoteVersionId": Column(quote.format(_j("ActiveQuoteVersionId", "q")), "int"),
        "quote/version/state": Column(f"coalesce({version.format(_j('State', 'v'))}, '')", "str"),
        "quote/version/rank": Column(f"coalesce({version.format(_j('Rank', 'v'))}, 0)", "int"),
        "quote/version/number": Column(f"coalesce({version.format(_j('Number', 'v'))}, '')", "str"),
        "quote/version/updatedDate": Column(version.format("v.updated"), "date"),
        f"{alternative}quoteAlternativeId": Column("coalesce(qa.id, 0)", "int"),
        f"{alternative}name": _s("Name", "qa"),
        f"{alternative}totalPrice": _f("TotalPrice", "qa"),
        f"{line}quoteLineId": Column("coalesce(ql.id, 0)", "int"),
        f"{line}erpProductKey": _s("ERPProductKey", "ql"),
        f"{line}name": _s("Name", "ql"),
        f"{line}quantity": _f("Quantity", "ql"),
        f"{line}totalPrice": _f("TotalPrice", "ql"),
        f"{line}rank": _i("Rank", "ql"),
        f"{line}updatedDate": Column("ql.updated", "date"),
        f"{line}registeredDate": Column("ql.registered", "date"),
    }


_PRODUCT_SOURCE = "product t LEFT JOIN pricelist pl ON pl.id = t.price_list_id"


def _price_list_columns(alias: str, prefix: str = "") -> dict[str, Column]:
    """The ``PriceList`` archive's columns, also nested in ``Product`` as ``priceList/...``."""
    return {
        f"{prefix}priceListId": Column(f"coalesce({alias}.id, 0)", "int"),
        f"{prefix}erpPriceListKey": _s("ERPPriceListKey", alias),
        f"{prefix}name": _s("Name", alias),
        f"{prefix}description": _s("Description", alias),
        f"{prefix}quoteConnection": Column("''", "str"),
        f"{prefix}currency": _s("Currency", alias),
        f"{prefix}validFrom": Column(_j("ValidFrom", alias), "date"),
        f"{prefix}validTo": Column(_j("ValidTo", alias), "date"),
        f"{prefix}isERPCopy": Column(f"coalesce({_j('IsERPCopy', alias)}, 0)", "bool"),
        f"{prefix}isActive": Column(f"coalesce({_j('IsActive', alias)}, 0)", "bool"),
        f"{prefix}updatedBy": Column("''", "str"),
        f"{prefix}updatedDate": Column(f"{alias}.updated", "date"),
        f"{prefix}registeredBy": Column("''", "str"),
        f"{prefix}registeredDate": Column(f"{alias}.registered", "date"),
    }


def _product_columns() -> dict[str, Column]:
    """The real ``Product`` archive's columns (docs: archive-providers/reference/product): prices are
    ``listPrice``, ``cost`` and ``minimumPrice``; the price list's own columns sit under ``priceList/``."""
    text = ("name", "description", "code", "quantityUnit", "priceUnit", "subscriptionUnit", "itemNumber", "url")
    keys = ("productCategoryKey", "productFamilyKey", "productTypeKey", "supplier", "supplierCode")
    extras = tuple(f"extraField{n}" for n in range(1, 6))
    columns = {
        "inAssortment": Column(f"coalesce({_j('InAssortment')}, 0)", "bool"),
        "productId": Column("t.id", "int"),
        "priceListId": Column("coalesce(t.price_list_id, 0)", "int"),
        "erpProductKey": Column("coalesce(t.erp_key, '')", "str"),
        **{name: _s(_pascal(name)) for name in (*text, *keys, *extras)},
        "vatInfo": _s("VATInfo"),
        "defaultSubscriptionQuantity": _f("DefaultSubscriptionQuantity"),
        "isSubscription": Column(f"coalesce({_j('IsSubscription')}, 0)", "bool"),
        "vat": _f("VAT"),
        "cost": _f("UnitCost"),
        "minimumPrice": _f("UnitMinimumPrice"),
        "listPrice": _f("UnitListPrice"),
        "thumbnail": Column("''", "str"),
        "extraInfo": _s("RawExtraInfo"),
        "updatedBy": Column("''", "str"),
        "updatedDate": Column("t.updated", "date"),
        "registeredBy": Column("''", "str"),
        "registeredDate": Column("t.registered", "date"),
    }
    return {**columns, **_price_list_columns("pl", "priceList/")}


def _pascal(column: str) -> str:
    """Archive column -> carrier field (``quantityUnit`` -> ``QuantityUnit``, ``extraField1`` -> ``ExtraField1``)."""
    return column[0].upper() + column[1:]


def _person_columns() -> dict[str, Column]:
    return {
        "personId": Column("t.id", "int"),
        "contactId": Column("coalesce(t.contact_id, 0)", "int"),
        "firstname": _s("Firstname"),
        "lastname": _s("Lastname"),
        "fullName": _s("FullName"),
        "email": _s("Emails[0].Value"),
        "personUpdatedDate": Column("t.updated", "date"),
        "personRegisteredDate": Column("t.registered", "date"),
        "personDeletedDate": Column("t.deleted_date", "datetime"),
    }


def _build() -> dict[str, Provider]:
    contact, line = _contact_columns(), _line_columns()
    providers = [
        Provider("SimpleContact", "contact", "contact t", "t.id", contact, _CONTACT_SELECT, "t.deleted = 0"),
        Provider("RecycleContact", "contact", "contact t", "t.id", contact, (*_CONTACT_SELECT, "deletedDate"),
                 "t.deleted != 0"),
        Provider("Person", "person", "person t", "t.id", _person_columns(), ("personId", "contactId", "fullName"),
                 "t.deleted_date IS NULL"),
        Provider("RecyclePerson", "person", "person t", "t.id", _person_columns(), ("personId", "personDeletedDate"),
                 "t.deleted_date IS NOT NULL"),
        Provider("FindSale", "sale", "sale t", "t.id", _sale_columns(),
                 ("saleId", "heading", "amount", "saleStatus", "contactId", "updatedDate"), "", SALE_EXPANSIONS),
        Provider("Product", "productInAssortment", _PRODUCT_SOURCE, "t.id", _product_columns(),
                 ("productId", "name", "code", "erpProductKey", "inAssortment")),
        Provider("PriceList", "pricelist", "pricelist t", "t.id", _price_list_columns("t"),
                 ("priceListId", "name", "currency", "isActive")),
        Provider("QuoteLine", "quoteline", _LINE_SOURCE, "t.id", line,
                 ("quoteLineId", "quoteAlternativeId", "erpProductKey", "quantity", "totalPrice", "updatedDate")),
    ]  # fmt: skip
    by_name = {p.name.lower(): p for p in providers}
    aliases = {"contact": "simplecontact", "findcontact": "simplecontact", "sale": "findsale"}
    aliases |= {"simplesale": "findsale", "findquoteline": "quoteline"}
    for alias, target in aliases.items():
        by_name[alias] = replace(by_name[target], name=alias)
    return by_name


PROVIDERS = _build()


# Dynamic provider: table.field columns straight from the database tables (datetime precision on updated).
DYNAMIC_TABLES: dict[str, tuple[str, dict[str, Column]]] = {
    "contact": (
        "contact",
        {
            "contact_id": Column("t.id", "int"),
            "name": _s("Name"),
            "orgnr": _s("OrgNr"),
            "department": _s("Department"),
            "deleted": Column("t.deleted", "int"),
            "updated": Column("t.updated", "datetime"),
            "registered": Column("t.registered", "datetime"),
        },
    ),
    "person": (
        "person",
        {
            "person_id": Column("t.id", "int"),
            "contact_id": Column("coalesce(t.contact_id, 0)", "int"),
            "updated": Column("t.updated", "datetime"),
            "registered": Column("t.registered", "datetime"),
        },
    ),
    "sale": (
        "sale",
        {
            "sale_id": Column("t.id", "int"),
            "contact_id": Column("coalesce(t.contact_id, 0)", "int"),
            "heading": _s("Heading"),
            "amount": _f("Amount"),
            "updated": Column("t.updated", "datetime"),
            "registered": Column("t.registered", "datetime"),
        },
    ),
    "product": (
        "product",
        {
            "product_id": Column("t.id", "int"),
            "name": _s("Name"),
            "erpproductkey": Column("coalesce(t.erp_key, '')", "str"),
            "code": _s("Code"),
            "pricelistid": Column("coalesce(t.price_list_id, 0)", "int"),
            "inassortment": Column(f"coalesce({_j('InAssortment')}, 0)", "bool"),
            "updated": Column("t.updated", "datetime"),
            "registered": Column("t.registered", "datetime"),
        },
    ),
    "pricelist": (
        "pricelist",
        {
            "pricelist_id": Column("t.id", "int"),
            "erppricelistkey": _s("ERPPriceListKey"),
            "name": _s("Name"),
            "isactive": Column(f"coalesce({_j('IsActive')}, 0)", "bool"),
            "updated": Column("t.updated", "datetime"),
            "registered": Column("t.registered", "datetime"),
        },
    ),
    "quote": (
        "quote",
        {
            "quote_id": Column("t.id", "int"),
            "sale_id": Column("t.sale_id", "int"),
            "updated": Column("t.updated", "datetime"),
            "registered": Column("t.registered", "datetime"),
        },
    ),
    "quoteline": (
        "quote_line",
        {
            "quoteline_id": Column("t.id", "int"),
            "quotealternative_id": Column("t.alternative_id", "int"),
            "updated": Column("t.updated", "datetime"),
            "registered": Column("t.registered", "datetime"),
        },
    ),
}


def dynamic_provider(params: dict[str, str]) -> Provider:
    """The Dynamic provider for the one table named by the ``$select`` columns (``contact.updated`` ...)."""
    select = next((v for k, v in params.items() if k.lower() == "$select"), "")
    tables = {name.strip().split(".", 1)[0].lower() for name in select.split(",") if "." in name}
    if len(tables) != 1:
        raise UnknownColumn("Dynamic needs $select columns of exactly one table, as table.field")
    table = tables.pop()
    if table not in DYNAMIC_TABLES:
        raise UnknownColumn(f"Dynamic: unknown table {table!r}; known: {', '.join(sorted(DYNAMIC_TABLES))}")
    store_table, fields = DYNAMIC_TABLES[table]
    columns = {f"{table}.{name}": col for name, col in fields.items()}
    first = next(iter(columns))
    return Provider("Dynamic", table, f"{store_table} t", "t.id", columns, (first,))


def provider(name: str, params: dict[str, str]) -> Provider:
    if name.lower() == "dynamic":
        return dynamic_provider(params)
    found = PROVIDERS.get(name.lower())
    if found is None:
        raise UnknownColumn(f"Unknown archive provider {name!r}")
    return found
