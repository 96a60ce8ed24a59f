/*
description: >
  Every SuperOffice contact (company) in the Customwebshop's vocabulary: the SuperOffice side of the
  Contact <-> Customer flow. Soft-deleted contacts stay, with active = false, so their shop customer is
  deactivated rather than lost. Empty texts become NULL, as the shop leaves unset fields empty; texts
  are not trimmed here, so the sync sees surrounding whitespace and writes the trimmed text back.
dataflow: {target: Customwebshop Customer}
columns:
  _id: The SuperOffice ContactId as text; the link key of the flow.
  sync_updated: When SuperOffice last changed the contact (UpdatedDate, UTC); the newer edit wins a conflict.
  sync_version: The UpdatedDate as SuperOffice wrote it; a write-back refuses to overwrite a later change.
  sync_deleted: The contact is soft-deleted; the sync deactivates its shop customer and closes the link.
  company_name: {type: string, description: The company as named in the CRM.}
  organization_number: {type: string, description: The second first-sync match key (after the e-mail).}
  department: {type: string, description: The department of the company.}
  email: {type: string, description: The first e-mail address (by rank); the first-sync match key (case-insensitive).}
  phone: {type: string, description: "The first phone number (by rank); a shop clear empties it in place, the others stay as they are."}
  website: {type: string, description: The first URL (by rank).}
  billing_address.line1: {type: string, description: The postal address is the billing address.}
  billing_address.line2: {type: string}
  billing_address.postal_code: {type: string}
  billing_address.city: {type: string}
  billing_address.country_code: {type: string, description: ISO 3166-1 alpha-2 of the contact's country.}
  shipping_address.line1: {type: string, description: The street address is the shipping address.}
  shipping_address.line2: {type: string}
  shipping_address.postal_code: {type: string}
  shipping_address.city: {type: string}
  shipping_address.country_code:
    type: string
    direction: to shop only
    follows: billing_address.country_code
    description: SuperOffice keeps one country per contact; the billing country is the one written back.
  customer_group: {type: string, description: The contact's category.}
  accepts_marketing: {type: boolean, source: NoMailing (negated), description: NoMailing false means mail is welcome.}
  note: {type: string, description: The contact's free-text description.}
  active:
    type: boolean
    source: Deleted (non-zero → false)
    direction: to shop only
    description: A deactivated shop customer never deletes a SuperOffice contact.
  external_refs.superoffice_contact_id: {type: string, direction: to shop only, description: Lets the shop find its CRM twin.}
*/
SELECT
    CAST(c.ContactId AS VARCHAR)                                                AS _id,
    NULLIF(TRY_CAST(c.UpdatedDate AS TIMESTAMP), TIMESTAMP '0001-01-01')       AS sync_updated,
    CAST(c.UpdatedDate AS VARCHAR)                                              AS sync_version,
    coalesce(c.Deleted, 0) <> 0                                                 AS sync_deleted,
    NULLIF(c.Name, '')                                                          AS company_name,
    NULLIF(c.OrgNr, '')                                                         AS organization_number,
    NULLIF(c.Department, '')                                                    AS department,
    NULLIF(c.Emails[1].Value, '')                                               AS email,
    NULLIF(c.Phones[1].Value, '')                                               AS phone,
    NULLIF(c.Urls[1].Value, '')                                                 AS website,
    {
        'line1': NULLIF(c.Address.Postal.Address1, ''),
        'line2': NULLIF(c.Address.Postal.Address2, ''),
        'postal_code': NULLIF(c.Address.Postal.Zipcode, ''),
        'city': NULLIF(c.Address.Postal.City, ''),
        'country_code': NULLIF(c.Country.TwoLetterISOCountry, '')
    }                                                                           AS billing_address,
    {
        'line1': NULLIF(c.Address.Street.Address1, ''),
        'line2': NULLIF(c.Address.Street.Address2, ''),
        'postal_code': NULLIF(c.Address.Street.Zipcode, ''),
        'city': NULLIF(c.Address.Street.City, ''),
        'country_code': NULLIF(c.Country.TwoLetterISOCountry, '')
    }                                                                           AS shipping_address,
    NULLIF(c.Category.Value, '')                                                AS customer_group,
    NOT coalesce(c.NoMailing, false)                                            AS accepts_marketing,
    NULLIF(c.Description, '')                                                   AS note,
    coalesce(c.Deleted, 0) = 0                                                  AS active,
    {'superoffice_contact_id': CAST(c.ContactId AS VARCHAR)}                    AS external_refs
FROM superoffice_contact AS c
