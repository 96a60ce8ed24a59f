/*
description: >
  Every live Customwebshop order, projected to the same columns as sale_order_superoffice so the sync compares
  like with like (the lines are the quoteline_orderline flow's). The status reads in SuperOffice's vocabulary (a `completed` order is Sold, as a `confirmed`
  one), so a shop completing an order writes nothing back. Totals are read only for an order without lines
  (the shop computes them from its lines otherwise). Decimals are read as numbers. Tombstones are left out,
  which closes their link. Orders born in the shop are not created in SuperOffice.
columns:
  _id: The shop's order id as text; the link key of the flow.
  sync_updated: When the shop last changed the order (updated_at, UTC).
  sync_version: The shop's record version; an update is sent with If-Match so a newer shop edit is never overwritten.
  external_refs: Only the references this flow reads back.
*/
WITH shop AS (
    SELECT
        to_json(s) AS j,
        s.lines AS shop_lines
    FROM customwebshop_order AS s
)
SELECT
    j->>'id'                                                       AS _id,
    TRY_CAST(j->>'updated_at' AS TIMESTAMP)                        AS sync_updated,
    TRY_CAST(j->>'version' AS BIGINT)                              AS sync_version,
    NULLIF(j->>'order_number', '')                                 AS order_number,
    TRY_CAST(j->>'customer_id' AS BIGINT)                          AS customer_id,
    CASE j->>'status' WHEN 'completed' THEN 'confirmed' ELSE j->>'status' END AS status,
    NULLIF(j->>'title', '')                                        AS title,
    NULLIF(j->>'order_date', '')                                   AS order_date,
    NULLIF(upper(j->>'currency'), '')                              AS currency,
    NULLIF(j->>'sales_rep', '')                                    AS sales_rep,
    NULLIF(j->>'note', '')                                         AS note,
    CASE
        WHEN coalesce(len(shop_lines), 0) = 0 THEN CAST(TRY_CAST(j->>'total' AS DECIMAL(18, 2)) AS DOUBLE)
    END                                                            AS total,
    {
        'superoffice_sale_id': j->'external_refs'->>'superoffice_sale_id',
        'superoffice_quotealternative_id': j->'external_refs'->>'superoffice_quotealternative_id'
    }                                                              AS external_refs
FROM shop
WHERE j->>'id' IS NOT NULL
  AND NOT coalesce(TRY_CAST(j->>'deleted' AS BOOLEAN), false)
