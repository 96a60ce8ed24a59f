/*
description: >
  Every SuperOffice sale as shop orders: the SuperOffice side of the Sale + Quotealternative <-> Order flow.
  One order per alternative of the sale's active quote version, keyed by the sale and the alternative's
  ordinal in that version (`sale:17:2`), so a new quote version re-points the same orders. A sale without a
  quote is one header-only order (`sale:17:1`, total = Amount), taken over by the first alternative when a
  quote appears: the same order, never deleted and re-created. A sale or alternative deleted in SuperOffice
  cancels its order. The customer comes through the Contact <-> Customer link: an order whose contact is not
  linked yet waits (reported as waiting, never sent half-formed) and goes out in the run that links it.
  The status is compared in SuperOffice's vocabulary (both pipes map to it one way), so it never ping-pongs.
  The order's lines are records of their own (the Quoteline <-> order line flow, quoteline_orderline), merged
  line by line; totals are the shop's to compute when an order has lines, so none is sent or compared.
dataflow: {target: Customwebshop Order, sections: {superoffice_sale: Sale, superoffice_quote: Quotealternative}}
columns:
  _id: "`sale:<SaleId>:<ordinal>`: the sale and the alternative's ordinal (by id) in the active quote version."
  sync_updated: When SuperOffice last changed the sale (UpdatedDate, UTC); the newer edit wins a conflict.
  sync_version: The sale's UpdatedDate as SuperOffice wrote it; a write-back refuses to overwrite a later change.
  sync_scope: "`favorite` for the favourite alternative (or a sale without a quote); `[flows.sale_order] orders_for = \"favorite\"` syncs only those."
  sync_waiting: Why the order cannot go out yet (no contact, or a contact not linked to a shop customer).
  order_number:
    type: string
    source: Number
    direction: to shop only
    description: "The sale's number when set, else `SO-<SaleId>`; `-<n>` for the n-th alternative (the shop keeps order numbers unique)."
  customer_id:
    type: integer
    source: Contact.ContactId (through link_contact_customer)
    direction: to shop only
    description: The shop customer the contact is linked to; a shop-side change is overwritten from SuperOffice.
  status:
    type: string
    description: "Open→pending, Sold→confirmed, Stalled→on_hold, Lost→cancelled; a shop `completed` reads as confirmed (Sold). Written back with a Sale PATCH, never PlaceOrder."
  title: {type: string, source: Heading}
  order_date: {type: date, source: Saledate, direction: to shop only}
  currency: {type: string, source: Currency.Value, direction: to shop only}
  sales_rep: {type: string, source: Associate.FullName, direction: to shop only}
  note: {type: string, source: Quotealternative Name, direction: to shop only, description: The alternative's name.}
  total:
    type: decimal
    source: Amount (no quote) or Quotealternative TotalPrice (no lines)
    direction: to shop only
    description: Only for an order without lines; with lines the shop computes every total, so none is sent or compared.
  external_refs.superoffice_sale_id: {type: string, direction: to shop only, description: "The order's key (`sale:<SaleId>:<ordinal>`): lets the shop find its CRM twin."}
  external_refs.superoffice_quotealternative_id: {type: string, source: QuoteAlternativeId, direction: to shop only}
*/
WITH sales AS (
    SELECT
        s.*,
        to_json(s)->'Associate'->>'FullName'                                    AS associate_name  -- often no column
    FROM superoffice_sale AS s
),
alternatives AS (
    SELECT
        q.SaleId,
        q.FavoriteQuoteAlternativeId                                            AS favorite,
        q.Lines                                                                 AS quote_lines,
        q.alternative,
        row_number() OVER (PARTITION BY q.SaleId ORDER BY q.alternative.QuoteAlternativeId) AS ordinal
    FROM (
        SELECT SaleId, FavoriteQuoteAlternativeId, Lines, unnest(Alternatives) AS alternative
        FROM superoffice_quote
    ) AS q
),
orders AS (
    SELECT
        s.*,
        a.alternative,
        a.favorite,
        coalesce(a.ordinal, 1)                                                  AS ordinal,
        list_filter(a.quote_lines, lambda x: x.QuoteAlternativeId = a.alternative.QuoteAlternativeId) AS alt_lines
    FROM sales AS s
    LEFT JOIN alternatives AS a ON a.SaleId = s.SaleId
),
mapped AS (
    SELECT
        o.*,
        l.b_id                                                                  AS customer
    FROM orders AS o
    LEFT JOIN link_contact_customer AS l
        ON l.a_id = CAST(o.Contact.ContactId AS VARCHAR) AND l.status = 'active'
)
SELECT
    'sale:' || m.SaleId || ':' || m.ordinal                                     AS _id,
    NULLIF(TRY_CAST(m.UpdatedDate AS TIMESTAMP), TIMESTAMP '0001-01-01')        AS sync_updated,
    CAST(m.UpdatedDate AS VARCHAR)                                              AS sync_version,
    CASE
        WHEN m.alternative IS NULL OR m.alternative.QuoteAlternativeId = m.favorite THEN 'favorite'
    END                                                                         AS sync_scope,
    CASE
        WHEN coalesce(m.Contact.ContactId, 0) = 0 THEN 'the sale has no contact'
        WHEN m.customer IS NULL
            THEN 'contact ' || m.Contact.ContactId || ' is not linked to a shop customer yet'
    END                                                                         AS sync_waiting,
    coalesce(NULLIF(trim(m.Number), ''), 'SO-' || m.SaleId)
        || CASE WHEN m.ordinal > 1 THEN '-' || m.ordinal ELSE '' END            AS order_number,
    TRY_CAST(CASE WHEN m.Contact.ContactId > 0 THEN m.customer END AS BIGINT)   AS customer_id,
    CASE m.Status
        WHEN 'Sold' THEN 'confirmed'
        WHEN 'Stalled' THEN 'on_hold'
        WHEN 'Lost' THEN 'cancelled'
        ELSE 'pending'
    END                                                                         AS status,
    NULLIF(m.Heading, '')                                                       AS title,
    CAST(CAST(NULLIF(TRY_CAST(m.Saledate AS TIMESTAMP), TIMESTAMP '0001-01-01') AS DATE) AS VARCHAR) AS order_date,
    NULLIF(upper(m.Currency.Value), '')                                         AS currency,
    NULLIF(m.associate_name, '')                                            AS sales_rep,
    NULLIF(m.alternative.Name, '')                                              AS note,
    CASE
        WHEN m.alternative IS NULL THEN CAST(TRY_CAST(m.Amount AS DECIMAL(18, 2)) AS DOUBLE)
        WHEN coalesce(len(m.alt_lines), 0) = 0 THEN CAST(TRY_CAST(m.alternative.TotalPrice AS DECIMAL(18, 2)) AS DOUBLE)
    END                                                                         AS total,
    {
        'superoffice_sale_id': 'sale:' || m.SaleId || ':' || m.ordinal,
        'superoffice_quotealternative_id': CAST(m.alternative.QuoteAlternativeId AS VARCHAR)
    }                                                                           AS external_refs
FROM mapped AS m
