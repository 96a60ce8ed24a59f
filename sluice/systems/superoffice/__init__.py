"""The SuperOffice CRM WebAPI client: settings, auth, paged reads, watermarks, writes, quotes, products."""

from .auth import BasicAuth, OAuthRefreshAuth, SystemUserAuth, TicketAuth, build_auth
from .client import SuperOfficeClient
from .entities import CONTACT, ENTITIES, PRICELIST, PRODUCT, SALE, Entity
from .quotes import QuoteAgent, QuoteTree
from .schemas import CONTACT_SCHEMA, DATASET_SCHEMAS
from .settings import SuperOfficeSettings
from .watermark import ReadResult, Watermark

__all__ = [
    "CONTACT",
    "CONTACT_SCHEMA",
    "DATASET_SCHEMAS",
    "ENTITIES",
    "PRICELIST",
    "PRODUCT",
    "SALE",
    "BasicAuth",
    "Entity",
    "OAuthRefreshAuth",
    "QuoteAgent",
    "QuoteTree",
    "ReadResult",
    "SuperOfficeClient",
    "SuperOfficeSettings",
    "SystemUserAuth",
    "TicketAuth",
    "Watermark",
    "build_auth",
]
