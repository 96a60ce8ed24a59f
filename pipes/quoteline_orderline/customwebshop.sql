/*
description: >
  Every line of the shop orders linked to a SuperOffice sale, one row per line, projected to the same columns as
  quoteline_orderline_superoffice so the sync compares like with like. Lines of orders born in the shop are left
  out (those orders are not created in SuperOffice), and so are the lines of a deleted order: deleting an order
  in the shop closes its link and deletes nothing in SuperOffice. A line that carries no
  `external_refs.superoffice_quoteline_id` was added in the shop: its key reads `cws:<line id>`, the key the
  quote line it becomes is stamped with. The product reads in SuperOffice's id space (through
  link_product_product), decimals as numbers.
columns:
  _id: The shop's line id as text; the link key of the flow.
  sync_updated: When the shop last changed the line's order (updated_at, UTC).
  sync_version: The order's version; the order PATCH is sent with If-Match so a newer shop edit is never overwritten.
  sync_locked: Why SuperOffice takes no line edits now (the order's quote version is not a draft).
  sync_order: The shop order id.
  sync_alternative: The quote alternative the order is linked to (where a line added in the shop is created).
  sync_erp_product_key: The ERPProductKey of the line's product, when linked (a line added in the shop is created from it).
  external_refs: Only the reference this flow reads back.
*/
WITH linked AS (
    SELECT
        o.id                                                           AS order_id,
        o.version                                                      AS order_version,
        o.updated_at                                                   AS order_updated,
        l.a_id                                                         AS order_key,
        unnest(o.lines)                                                AS line
    FROM customwebshop_order AS o
    JOIN link_sale_order AS l ON l.b_id = CAST(o.id AS VARCHAR) AND l.status = 'active'
    WHERE NOT coalesce(TRY_CAST(to_json(o)->>'deleted' AS BOOLEAN), false)
),
alternatives AS (
    SELECT
        'sale:' || q.SaleId || ':'
            || row_number() OVER (PARTITION BY q.SaleId ORDER BY q.alternative.QuoteAlternativeId) AS order_key,
        q.alternative.QuoteAlternativeId                               AS alternative_id,
        q.VersionState
    FROM (SELECT SaleId, VersionState, unnest(Alternatives) AS alternative FROM superoffice_quote) AS q
)
SELECT
    CAST(k.line.id AS VARCHAR)                                         AS _id,
    TRY_CAST(k.order_updated AS TIMESTAMP)                             AS sync_updated,
    k.order_version                                                    AS sync_version,
    CASE
        WHEN NOT starts_with(coalesce(a.VersionState, 'Draft'), 'Draft')
            THEN 'the quote version is ' || a.VersionState || ', not a draft'
    END                                                                AS sync_locked,
    k.order_id                                                         AS sync_order,
    a.alternative_id                                                   AS sync_alternative,
    NULLIF(p.ERPProductKey, '')                                        AS sync_erp_product_key,
    TRY_CAST(pl.a_id AS BIGINT)                                        AS product_id,
    NULLIF(k.line.sku, '')                                             AS sku,
    NULLIF(k.line.name, '')                                            AS name,
    CAST(TRY_CAST(k.line.quantity AS DECIMAL(18, 3)) AS DOUBLE)        AS quantity,
    CAST(TRY_CAST(k.line.unit_price AS DECIMAL(18, 2)) AS DOUBLE)      AS unit_price,
    CAST(TRY_CAST(k.line.discount_percent AS DECIMAL(18, 2)) AS DOUBLE) AS discount_percent,
    CAST(TRY_CAST(k.line.vat_rate AS DECIMAL(18, 2)) AS DOUBLE)        AS vat_rate,
    TRY_CAST(k.line.position AS BIGINT)                                AS position,
    {
        'superoffice_quoteline_id': coalesce(
            NULLIF(to_json(k.line)->'external_refs'->>'superoffice_quoteline_id', ''), 'cws:' || k.line.id
        )
    }                                                                  AS external_refs
FROM linked AS k
LEFT JOIN alternatives AS a ON a.order_key = k.order_key
LEFT JOIN link_product_product AS pl ON pl.b_id = CAST(k.line.product_id AS VARCHAR) AND pl.status = 'active'
LEFT JOIN superoffice_product AS p ON CAST(p.ProductId AS VARCHAR) = pl.a_id
WHERE k.line.id IS NOT NULL
