/*
description: >
  Every SuperOffice product in the Customwebshop's vocabulary: the SuperOffice side of the Product <-> Product
  flow. A product belongs to one price list; the flow syncs the one `[flows.product_product] price_list` names
  (by default the list in the shop's currency), matching `Code` to `sku` within it, never across currencies.
  A product taken out of assortment, or deleted, makes its shop product inactive; Sluice never deletes a shop
  product. Products are created from SuperOffice to the shop only: a product born in the shop is not created in
  SuperOffice. Decimals compare as numbers (money rounded to 2 places), so `2.0` and `"2"` agree.
dataflow: {source: SuperOffice Product, target: Customwebshop Product}
columns:
  _id: The SuperOffice ProductId as text; the link key of the flow.
  sync_updated: SuperOffice products carry no timestamps (NULL), so a field edited on both sides goes to the shop's edit.
  sync_scope: The product's price list (ERPPriceListKey); the flow syncs one.
  sync_invalid: Why the product cannot be synced as it is (a price, cost, VAT rate or stock that is no number, or none that fits 16 digits and 2 decimals).
  sku: {type: string, source: Code, description: The first-sync match key (exact) within the price list.}
  name: {type: string}
  description: {type: string}
  price: {type: decimal, source: UnitListPrice, description: Unit list price excluding VAT.}
  cost: {type: decimal, source: UnitCost}
  vat_rate: {type: decimal, source: VAT, description: "A percentage (25 for 25 %)."}
  unit: {type: string, source: QuantityUnit}
  category: {type: string, source: ProductCategoryKey}
  stock_quantity: {type: decimal, source: InStock}
  url: {type: string}
  active:
    type: boolean
    source: InAssortment
    direction: to shop only
    description: Out of assortment or deleted makes the shop product inactive; a shop deactivation changes nothing in SuperOffice.
  currency:
    type: string
    source: "`Currency` of the product's price list (`ERPPriceListKey`)"
    direction: to shop only
    description: The currency of the product's price list.
  external_refs.superoffice_product_id: {type: string, direction: to shop only, description: Lets the shop find its CRM twin.}
*/
SELECT
    CAST(p.ProductId AS VARCHAR)                                                AS _id,
    CAST(NULL AS TIMESTAMP)                                                     AS sync_updated,
    NULLIF(p.ERPPriceListKey, '')                                               AS sync_scope,
    CASE
        WHEN TRY_CAST(p.UnitListPrice AS DECIMAL(18, 2)) IS NULL AND p.UnitListPrice IS NOT NULL
            THEN 'UnitListPrice is not a usable number: ' || CAST(p.UnitListPrice AS VARCHAR)
        WHEN TRY_CAST(p.UnitCost AS DECIMAL(18, 2)) IS NULL AND p.UnitCost IS NOT NULL
            THEN 'UnitCost is not a usable number: ' || CAST(p.UnitCost AS VARCHAR)
        WHEN TRY_CAST(p.VAT AS DECIMAL(18, 2)) IS NULL AND p.VAT IS NOT NULL
            THEN 'VAT is not a usable number: ' || CAST(p.VAT AS VARCHAR)
        WHEN TRY_CAST(p.InStock AS DECIMAL(18, 3)) IS NULL AND p.InStock IS NOT NULL
            THEN 'InStock is not a usable number: ' || CAST(p.InStock AS VARCHAR)
    END                                                                         AS sync_invalid,
    NULLIF(p.Code, '')                                                          AS sku,
    NULLIF(p.Name, '')                                                          AS name,
    NULLIF(p.Description, '')                                                   AS description,
    CAST(TRY_CAST(p.UnitListPrice AS DECIMAL(18, 2)) AS DOUBLE)                 AS price,
    CAST(TRY_CAST(p.UnitCost AS DECIMAL(18, 2)) AS DOUBLE)                      AS cost,
    CAST(TRY_CAST(p.VAT AS DECIMAL(18, 2)) AS DOUBLE)                           AS vat_rate,
    NULLIF(p.QuantityUnit, '')                                                  AS unit,
    NULLIF(p.ProductCategoryKey, '')                                            AS category,
    CAST(TRY_CAST(p.InStock AS DECIMAL(18, 3)) AS DOUBLE)                       AS stock_quantity,
    NULLIF(p.Url, '')                                                           AS url,
    coalesce(p.InAssortment, true)                                              AS active,
    NULLIF(upper(pl.Currency), '')                                              AS currency,
    {'superoffice_product_id': CAST(p.ProductId AS VARCHAR)}                    AS external_refs
FROM superoffice_product AS p
LEFT JOIN superoffice_pricelist AS pl ON pl.ERPPriceListKey = p.ERPPriceListKey
