/*
description: >
  Every quote line of the alternatives the order flow syncs, one row per line: the SuperOffice side of the
  Quoteline <-> order line flow. Lines are records of their own, linked QuoteLineId <-> shop line id with their
  own agreed state, so the merge is line by line: a CRM edit on one line and a shop edit on another line of the
  same order both survive. A line waits until its order is linked (Sale + Quotealternative <-> Order) and goes
  out in the same run. The shop gets one PATCH per order with the whole merged line list (If-Match); SuperOffice
  gets line saves, creates and deletes through the Quote agent, then one RecalculateQuoteAlternative per touched
  alternative. A line added in the shop becomes a quote line stamped `ERPQuoteLineKey = cws:<shop line id>` (its
  key here), so a retry after a lost answer finds it instead of adding it twice; a line removed in the shop
  deletes its quote line. Shop edits are taken only while the quote version is a draft: on a sent, sold or lost
  version the shop's line edit, add or removal is undone and reported as a conflict (`sluice conflicts`), while
  the order's status still goes back. Line totals are the systems' own to compute: never compared. A new quote
  version copies its lines under new ids: the shop order keeps its id, and its lines are replaced by the new
  version's in one PATCH (lines added in the shop keep their key, `cws:<id>`, and stay linked).
dataflow: {source: SuperOffice Quoteline, target: Customwebshop Order, path: "lines[]."}
columns:
  _id: "The QuoteLineId as text; for a line added in the shop, its `ERPQuoteLineKey` (`cws:<shop line id>`)."
  sync_updated: SuperOffice quote lines carry no timestamps (NULL), so a field edited on both sides goes to the shop's edit.
  sync_version: "A digest of the line's values as pulled; the write-back re-reads the line and refuses (412-style) if the fields it changes moved since."
  sync_waiting: Why the line cannot go out yet (its order is not linked to a shop order yet).
  sync_locked: Why the shop's edits are refused (the quote version is no longer a draft).
  sync_order: The shop order the line belongs to (through link_sale_order).
  sync_order_key: "The order's key, `sale:<SaleId>:<ordinal>`."
  sync_alternative: The QuoteAlternativeId (recalculated once after its lines are written).
  sync_quoteline: The QuoteLineId the Quote agent writes.
  product_id:
    type: integer
    source: ERPProductKey (through link_product_product)
    direction: to shop only
    description: "The shop product of the line's product, when the product is linked; a line whose product is not linked (another price list, or products not synced) goes without `product_id`, sku, name and price copied, and never waits."
  sku: {type: string, source: Code, direction: to shop only}
  name: {type: string, source: Name, direction: to shop only}
  quantity: {type: decimal, source: Quantity, description: Written back with SaveQuoteLine (then the alternative is recalculated).}
  unit_price: {type: decimal, source: UnitListPrice, description: Written back with SaveQuoteLine.}
  discount_percent: {type: decimal, source: DiscountPercent, description: "Written back with `UserValueOverride = DiscountPercent`, so the percentage stays the master."}
  vat_rate: {type: decimal, source: VAT, direction: to shop only, description: "A percentage (25 for 25 %)."}
  position: {type: integer, source: Rank, direction: to shop only, description: The line's place in the order.}
  external_refs.superoffice_quoteline_id: {type: string, source: QuoteLineId, direction: to shop only, description: "The line's key here (`_id`): the first-sync match key of lines, so a line whose create answer was lost is found again, never added twice."}
*/
WITH alternatives AS (
    SELECT
        q.SaleId,
        q.VersionState,
        q.Lines,
        q.alternative,
        row_number() OVER (PARTITION BY q.SaleId ORDER BY q.alternative.QuoteAlternativeId) AS ordinal
    FROM (
        SELECT SaleId, VersionState, Lines, unnest(Alternatives) AS alternative
        FROM superoffice_quote
    ) AS q
),
lines AS (
    SELECT
        a.SaleId,
        a.VersionState,
        'sale:' || a.SaleId || ':' || a.ordinal                                    AS order_key,
        a.alternative.QuoteAlternativeId                                           AS alternative_id,
        unnest(list_filter(a.Lines, lambda x: x.QuoteAlternativeId = a.alternative.QuoteAlternativeId)) AS line
    FROM alternatives AS a
),
keyed AS (
    SELECT
        l.*,
        CASE
            WHEN starts_with(coalesce(l.line.ERPQuoteLineKey, ''), 'cws:') THEN l.line.ERPQuoteLineKey
            ELSE CAST(l.line.QuoteLineId AS VARCHAR)
        END                                                                        AS line_key
    FROM lines AS l
)
SELECT
    k.line_key                                                                     AS _id,
    CAST(NULL AS TIMESTAMP)                                                        AS sync_updated,
    md5(concat_ws('|', k.line.Quantity, k.line.UnitListPrice, k.line.DiscountPercent)) AS sync_version,
    CASE
        WHEN o.b_id IS NULL THEN 'order ' || k.order_key || ' is not linked to a shop order yet'
    END                                                                            AS sync_waiting,
    CASE
        WHEN NOT starts_with(coalesce(k.VersionState, 'Draft'), 'Draft')
            THEN 'the quote version is ' || k.VersionState || ', not a draft'
    END                                                                            AS sync_locked,
    TRY_CAST(o.b_id AS BIGINT)                                                     AS sync_order,
    k.order_key                                                                    AS sync_order_key,
    k.alternative_id                                                               AS sync_alternative,
    k.line.QuoteLineId                                                             AS sync_quoteline,
    TRY_CAST(CASE WHEN pl.a_id IS NOT NULL THEN p.ProductId END AS BIGINT)         AS product_id,
    NULLIF(k.line.Code, '')                                                        AS sku,
    NULLIF(k.line.Name, '')                                                        AS name,
    CAST(TRY_CAST(k.line.Quantity AS DECIMAL(18, 3)) AS DOUBLE)                    AS quantity,
    CAST(TRY_CAST(k.line.UnitListPrice AS DECIMAL(18, 2)) AS DOUBLE)               AS unit_price,
    CAST(TRY_CAST(k.line.DiscountPercent AS DECIMAL(18, 2)) AS DOUBLE)             AS discount_percent,
    CAST(TRY_CAST(k.line.VAT AS DECIMAL(18, 2)) AS DOUBLE)                         AS vat_rate,
    TRY_CAST(k.line.Rank AS BIGINT)                                                AS position,
    {'superoffice_quoteline_id': k.line_key}                                       AS external_refs
FROM keyed AS k
LEFT JOIN link_sale_order AS o ON o.a_id = k.order_key AND o.status = 'active'
LEFT JOIN (
    SELECT ERPProductKey, min(ProductId) AS ProductId FROM superoffice_product GROUP BY ERPProductKey
) AS p ON p.ERPProductKey = NULLIF(k.line.ERPProductKey, '')
LEFT JOIN link_product_product AS pl ON pl.a_id = CAST(p.ProductId AS VARCHAR) AND pl.status = 'active'
