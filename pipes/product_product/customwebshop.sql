/*
description: >
  Every live Customwebshop product, projected to the same columns as product_product_superoffice so the sync
  compares like with like. Decimals are read as numbers, as on the SuperOffice side: the shop keeps them as
  written ("2"), SuperOffice sends doubles (2.0). Tombstones (deleted products) are left out, which closes
  their link.
columns:
  _id: The shop's product id as text; the link key of the flow.
  sync_updated: When the shop last changed the product (updated_at, UTC).
  sync_version: The shop's record version; an update is sent with If-Match so a newer shop edit is never overwritten.
  external_refs: Only the reference this flow reads back (superoffice_product_id).
*/
WITH shop AS (
    SELECT to_json(s) AS j
    FROM customwebshop_product AS s
)
SELECT
    j->>'id'                                                       AS _id,
    TRY_CAST(j->>'updated_at' AS TIMESTAMP)                        AS sync_updated,
    TRY_CAST(j->>'version' AS BIGINT)                              AS sync_version,
    NULLIF(j->>'sku', '')                                          AS sku,
    NULLIF(j->>'name', '')                                         AS name,
    NULLIF(j->>'description', '')                                  AS description,
    CAST(TRY_CAST(j->>'price' AS DECIMAL(18, 2)) AS DOUBLE) AS price,
    CAST(TRY_CAST(j->>'cost' AS DECIMAL(18, 2)) AS DOUBLE) AS cost,
    CAST(TRY_CAST(j->>'vat_rate' AS DECIMAL(18, 2)) AS DOUBLE) AS vat_rate,
    NULLIF(j->>'unit', '')                                         AS unit,
    NULLIF(j->>'category', '')                                     AS category,
    CAST(TRY_CAST(j->>'stock_quantity' AS DECIMAL(18, 3)) AS DOUBLE) AS stock_quantity,
    NULLIF(j->>'url', '')                                          AS url,
    TRY_CAST(j->>'active' AS BOOLEAN)                              AS active,
    NULLIF(upper(j->>'currency'), '')                              AS currency,
    {'superoffice_product_id': j->'external_refs'->>'superoffice_product_id'} AS external_refs
FROM shop
WHERE j->>'id' IS NOT NULL
  AND NOT coalesce(TRY_CAST(j->>'deleted' AS BOOLEAN), false)
