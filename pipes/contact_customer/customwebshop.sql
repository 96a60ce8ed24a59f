/*
description: >
  Every live Customwebshop customer, projected to the same columns as contact_customer_superoffice so
  the sync compares like with like. Fields are read through JSON: the shop leaves unset fields out, and a
  young (or empty) customer dataset may lack columns altogether, yet this pipe must still bind.
  Tombstones (deleted customers) are left out. Empty texts become NULL and texts stay untrimmed, as on the
  SuperOffice side.
columns:
  _id: The shop's customer id as text; the link key of the flow.
  sync_updated: When the shop last changed the customer (updated_at, UTC); the newer edit wins a conflict.
  sync_version: The shop's record version; an update is sent with If-Match so a newer shop edit is never overwritten.
  external_refs: Only the reference this flow reads back (superoffice_contact_id).
*/
WITH shop AS (
    SELECT to_json(s) AS j
    FROM customwebshop_customer AS s
)
SELECT
    j->>'id'                                                       AS _id,
    TRY_CAST(j->>'updated_at' AS TIMESTAMP)                        AS sync_updated,
    TRY_CAST(j->>'version' AS BIGINT)                              AS sync_version,
    NULLIF(j->>'company_name', '')                                 AS company_name,
    NULLIF(j->>'organization_number', '')                          AS organization_number,
    NULLIF(j->>'department', '')                                   AS department,
    NULLIF(j->>'email', '')                                        AS email,
    NULLIF(j->>'phone', '')                                        AS phone,
    NULLIF(j->>'website', '')                                      AS website,
    {
        'line1': NULLIF(j->'billing_address'->>'line1', ''),
        'line2': NULLIF(j->'billing_address'->>'line2', ''),
        'postal_code': NULLIF(j->'billing_address'->>'postal_code', ''),
        'city': NULLIF(j->'billing_address'->>'city', ''),
        'country_code': NULLIF(j->'billing_address'->>'country_code', '')
    }                                                              AS billing_address,
    {
        'line1': NULLIF(j->'shipping_address'->>'line1', ''),
        'line2': NULLIF(j->'shipping_address'->>'line2', ''),
        'postal_code': NULLIF(j->'shipping_address'->>'postal_code', ''),
        'city': NULLIF(j->'shipping_address'->>'city', ''),
        'country_code': NULLIF(j->'shipping_address'->>'country_code', '')
    }                                                              AS shipping_address,
    NULLIF(j->>'customer_group', '')                               AS customer_group,
    TRY_CAST(j->>'accepts_marketing' AS BOOLEAN)                   AS accepts_marketing,
    NULLIF(j->>'note', '')                                         AS note,
    TRY_CAST(j->>'active' AS BOOLEAN)                              AS active,
    {'superoffice_contact_id': j->'external_refs'->>'superoffice_contact_id'} AS external_refs
FROM shop
WHERE j->>'id' IS NOT NULL
  AND NOT coalesce(TRY_CAST(j->>'deleted' AS BOOLEAN), false)
