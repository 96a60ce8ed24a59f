"""Carrier shapes: field names and types of the WebAPI carriers the simulator serves.

Rule: this is data, transcribed mechanically from the official Swagger definitions (openapi-subset.json);
keep it in step with the spec, never invent fields. One string per carrier, ``Field:type`` pairs separated by spaces.
Types: s string, t date-time, i int32, d double, b bool, e(A|B) enum (first = default), @Name a nested
carrier, [x] a list of x, {x} a map of string to x.
"""

SHAPES: dict[str, str] = {
    "Address": (
        "Wgs84Latitude:d Wgs84Longitude:d LocalizedAddress:[[@LocalizedField]] Street:@StructuredAddress "
        "Postal:@StructuredAddress Formatted:s TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Appointment": (
        "AppointmentId:i StartDate:t EndDate:t Type:e(Unknown|inDiary|inChecklist|Note|Document|SavedReport|"
        "BookingForDiary|BookingForChecklist|MergeDraft|MergeFinal) Task:s AssociateFullName:s ContactName:s "
        "Description:s PersonFullName:s PersonId:i ContactId:i ProjectId:i ProjectName:s IsPublished:b "
        "AssociateId:i ColorIndex:i IsFree:b HasAlarm:b IsAlldayEvent:b Private:e(Public|PrivateUser|"
        "PrivateGroup) PriorityId:i PriorityName:s TaskType:e(Unknown|Appointment|Document|Email|Fax|Phone|"
        "ToDo|MailMergeDraft|MailMergeFinal|Report|SaintAll) IsBookingMain:b IsRecurrence:b IsBooking:b "
        "ActiveDate:t AssignmentStatus:e(Unknown|None|Assigning|Seen|Declined) InvitationStatus:e(Unknown|"
        "None|Accepted|Hidden|Invitation|Moved|Seen|MovedSeen|Declined|Cancelled) BookingType:e(Unknown|None|"
        "Owner|Participant) Completed:e(Unknown|NotStarted|Started|Completed) RecurringPattern:e(Unknown|"
        "Daily|Weekly|Monthly|Yearly|Custom) RecurringStartDate:t RecurringEndDate:t MotherId:i AssignedBy:i "
        "AssignedByFullName:s RejectReason:s Location:s AlarmLeadTime:s SaleId:i SaleName:s AssociateName:s "
        "CreatedDate:t CreatedBy:s CreatedByFullName:s CreatedByAssociateId:i CautionWarning:e(OK|NotInSync|"
        "NotNotifiedByEmail|RecurrencePatternNotSupported|IncomingRecurrenceChangeNotSupported|"
        "ExternalParticipantsDateTimeMismatch) OwnedExternally:e(None|Other|Outlook|Google) "
        "MotherAssociateId:i JoinVideomeetUrl:s PreferredTZLocation:i Title:s Agenda:s InternalNotes:s "
        "TaskId:i TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Associate": (
        "AssociateId:i Name:s PersonId:i Rank:i Tooltip:s Type:e(Unknown|InternalAssociate|ResourceAssociate|"
        "ExternalAssociate|AnonymousAssociate|SystemAssociate) GroupIdx:i FullName:s FormalName:s Deleted:b "
        "EjUserId:i UserName:s ExtraFields:{s} CustomFields:{s} TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "Business": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "Category": (
        "Id:i Value:s Tooltip:s CategoryGroup:e(Unknown|Customer|PotentialCustomer|Partner|Lost|Other) "
        "EnableLeadStatus:b Rank:i Deleted:b TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "ChangedData": (
        "AddedRecords:[@ChangedDataItem] UpdatedRecords:[@ChangedDataItem] DeletedRecords:[@ChangedDataItem] "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "ChangedDataItem": ("Tablename:s RecordId:i TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "Competitor": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "ConsentInfo": (
        "ConsentPersonId:i Comment:s Registered:t RegisteredAssociateId:i Updated:t UpdatedAssociateId:i "
        "LegalBaseId:i LegalBaseKey:s LegalBaseName:s ConsentPurposeId:i ConsentPurposeKey:s "
        "ConsentPurposeName:s ConsentSourceId:i ConsentSourceKey:s ConsentSourceName:s "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Contact": (
        "ContactId:i Name:s OrgNr:s Department:s URL:s City:s DirectPhone:s AssociateId:i CountryId:i "
        "EmailAddress:s Kananame:s EmailAddressName:s URLName:s AssociateFullName:s BusinessName:s "
        "CategoryName:s CountryName:s Address:@Address FormattedAddress:s FullName:s IsOwnerContact:b "
        "ActiveErpLinks:i Number1:s Number2:s TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "ContactEntity": (
        "ContactId:i Name:s Department:s OrgNr:s Number1:s Number2:s UpdatedDate:t CreatedDate:t "
        "Emails:[@EntityElement] Interests:[@SelectableMDOListItem] Urls:[@EntityElement] "
        "Phones:[@EntityElement] Faxes:[@EntityElement] Description:s UpdatedBy:@Associate "
        "CreatedBy:@Associate Associate:@Associate Business:@Business Category:@Category Country:@Country "
        "Persons:[@Person] NoMailing:b Kananame:s Xstop:b ActiveInterests:i GroupId:i "
        "ActiveStatusMonitorId:i SupportAssociate:@Associate TicketPriority:@TicketPriority "
        "CustomerLanguage:@CustomerLanguage Deleted:i DbiAgentId:i DbiLastSyncronized:t DbiKey:s "
        "DbiLastModified:t SupportPerson:@Person Address:@Address Source:i ActiveErpLinks:i BounceEmails:[s] "
        "Domains:[s] UtmParameters:@SavedUtmParameters UserDefinedFields:{s} ExtraFields:{s} "
        "CustomFields:{s} TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Country": (
        "CountryId:i Name:s CurrencyId:i EnglishName:s TwoLetterISOCountry:s ThreeLetterISOCountry:s "
        "ImageDescription:s OrgNrText:s InterAreaPrefix:s DialInPrefix:s ZipPrefix:s DomainName:s "
        "AddressLayoutId:i DomesticAddressLayoutId:i ForeignAddressLayoutId:i Rank:i Tooltip:s Deleted:b "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "CreateAndSaveQuoteRequest": ("SaleId:i ConnectionId:i FirstAlternativeName:s"),
    "CreateAndSaveQuoteVersionRequest": ("QuoteVersionId:i"),
    "CreateQuoteAlternativeRequest": ("QuoteVersionId:i QuoteAlternativeName:s QuoteAlternativeDescription:s"),
    "CreateQuoteLineFromProductRequest": ("QuoteAlternativeId:i Product:@Product"),
    "CreateQuoteLineRequest": ("QuoteAlternativeId:i ERPProductKey:s"),
    "Credited": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "Currency": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "CustomerLanguage": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "DeleteQuoteAlternativeRequest": ("QuoteAlternativeId:i"),
    "DeleteQuoteLineRequest": ("QuoteLineId:i"),
    "DeleteQuoteLinesRequest": ("QuoteLineIds:[i]"),
    "DeleteQuoteRequest": ("QuoteId:i"),
    "EntityElement": ("Value:s StrippedValue:s Description:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "FieldProperty": ("FieldRight:@FieldRight FieldType:s FieldLength:i"),
    "FieldRight": ("Mask:s Reason:s"),
    "FindProductRequest": ("QuoteAlternativeId:i UserInput:s PriceListKey:s"),
    "GetProductFromDbIdRequest": ("ProductId:i"),
    "GetProductRequest": ("QuoteConnectionId:i ERPProductKey:s"),
    "GetQuoteAlternativesRequest": ("QuoteVersionId:i"),
    "GetQuoteEntityFromSaleIdRequest": ("SaleId:i"),
    "GetQuoteEntityRequest": ("QuoteId:i"),
    "GetQuoteFromSaleIdRequest": ("SaleId:i"),
    "GetQuoteLineRequest": ("QuoteLineId:i"),
    "GetQuoteLinesRequest": ("QuoteAlternativeId:i"),
    "GetQuoteRequest": ("QuoteId:i"),
    "GetQuoteVersionRequest": ("QuoteVersionId:i"),
    "GetQuoteVersionsRequest": ("QuoteId:i"),
    "JsonPatch": ("op:e(unknown|add|replace|remove|test|move|copy) path:s value:{o}"),
    "Link": (
        "EntityName:s Id:i Description:s ExtraInfo:s LinkId:i TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "LocalizedField": (
        "Name:s Value:s Tooltip:s Label:s ValueLength:i AddressType:s TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "MDOListItem": (
        "Id:i Name:s ToolTip:s Deleted:b Rank:i Type:s ChildItems:[@MDOListItem] IconHint:s ColorBlock:i "
        "ExtraInfo:s StyleHint:s FullName:s TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "ODataSlimResponse": ("odata.metadata:s odata.nextLink:s value:[{{o}}]"),
    "Person": (
        "Position:s PersonId:i Mrmrs:s Firstname:s Lastname:s MiddleName:s Title:s Description:s Email:s "
        "FullName:s DirectPhone:s FormalName:s CountryId:i ContactId:i ContactName:s Retired:i Rank:i "
        "ActiveInterests:i ContactDepartment:s ContactCountryId:i ContactOrgNr:s FaxPhone:s MobilePhone:s "
        "ContactPhone:s AssociateName:s AssociateId:i UsePersonAddress:b ContactFax:s Kanafname:s "
        "Kanalname:s Post1:s Post2:s Post3:s EmailName:s ContactFullName:s ActiveErpLinks:i "
        "TicketPriorityId:i SupportLanguageId:i SupportAssociateId:i CategoryName:s PersonNumber:s "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "PersonEntity": (
        "PersonId:i Firstname:s MiddleName:s Lastname:s Mrmrs:s Title:s UpdatedDate:t CreatedDate:t "
        "BirthDate:t CreatedBy:@Associate Emails:[@EntityElement] Description:s IsAssociate:b "
        "PrivatePhones:[@EntityElement] Faxes:[@EntityElement] MobilePhones:[@EntityElement] "
        "OfficePhones:[@EntityElement] OtherPhones:[@EntityElement] Position:@Position UpdatedBy:@Associate "
        "Contact:@Contact Country:@Country Interests:[@SelectableMDOListItem] PersonNumber:s FullName:s "
        "NoMailing:b UsePersonAddress:b Retired:b Urls:[@EntityElement] FormalName:s Address:@Address "
        "Post3:s Post2:s Post1:s Kanalname:s Kanafname:s CorrespondingAssociate:@Associate "
        "Category:@Category Business:@Business Associate:@Associate Salutation:s ActiveInterests:i "
        "SupportAssociate:@Associate TicketPriority:@TicketPriority CustomerLanguage:@CustomerLanguage "
        "DbiAgentId:i DbiKey:s DbiLastModified:t DbiLastSyncronized:t SentInfo:i ShowContactTickets:i "
        "UserInfo:@UserInfo ChatEmails:[@EntityElement] InternetPhones:[@EntityElement] Source:i "
        "ActiveErpLinks:i ShipmentTypes:[@SelectableMDOListItem] Consents:[@ConsentInfo] BounceEmails:[s] "
        "ActiveStatusMonitorId:i CreatedByFormId:i UtmParameters:@SavedUtmParameters LeadstatusId:i "
        "Leadstatus:s UserDefinedFields:{s} ExtraFields:{s} CustomFields:{s} TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "Position": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "PriceList": (
        "PriceListId:i ERPPriceListKey:s QuoteConnectionId:i Name:s Description:s Currency:s CurrencyName:s "
        "ValidFrom:t ValidTo:t IsActive:b TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Product": (
        "ProductId:i ERPProductKey:s ERPPriceListKey:s Name:s Description:s Code:s PriceUnit:s "
        "QuantityUnit:s IsSubscription:b SubscriptionUnit:s DefaultSubscriptionQuantity:d ItemNumber:s Url:s "
        "ProductCategoryKey:s ProductFamilyKey:s ProductTypeKey:s VAT:d VATInfo:s UnitCost:d "
        "UnitMinimumPrice:d UnitListPrice:d InAssortment:b Supplier:s SupplierCode:s Rights:s Rule:s "
        "ExtraInfo:[@ProductExtraDataField] RawExtraInfo:s ExtraField1:s ExtraField2:s ExtraField3:s "
        "ExtraField4:s ExtraField5:s InStock:d TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "ProductExtraDataField": (
        "Name:s Value:s Type:e(String|Url|Image) TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Project": (
        "ProjectId:i Name:s Description:s URL:s Type:s AssociateId:i AssociateFullName:s TypeId:i Updated:t "
        "StatusId:i Status:s TextId:i PublishTo:t PublishFrom:t IsPublished:b URLName:s ProjectNumber:s "
        "ActiveErpLinks:i EventId:i StartDate:t TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Quote": (
        "QuoteId:i SaleId:i QuoteConnectionId:i ERPQuoteKey:s ERPOrderKey:s ActiveQuoteVersionId:i "
        "AcceptedQuoteAlternativeId:i UseValuesFromQuote:i DocumentId:i PoNumber:s OrderComment:s "
        "PreferredEmailCulture:s ActiveQuoteVersion:@QuoteVersion FavoriteQuoteAlternative:@QuoteAlternative "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "QuoteAlternative": (
        "QuoteAlternativeId:i ERPQuoteAlternativeKey:s QuoteVersionId:i Name:s Description:s Status:e(Ok|"
        "OkWithInfo|Warning|Error) Reason:s ERPDiscountPercent:d ERPDiscountAmount:d DiscountPercent:d "
        "DiscountAmount:d UserValueOverride:e(None|Total|DiscountPercent|DiscountAmount|EarningPercent|"
        "EarningAmount) VATInfo:s VAT:d EarningPercent:d EarningAmount:d SubTotal:d TotalPrice:d "
        "ExtraField1:s ExtraField2:s ExtraField3:s ExtraField4:s ExtraField5:s TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "QuoteAlternativeRecalculated": (
        "QuoteLinesHasChanged:b ChangedQuoteAlternative:@QuoteAlternative Changes:@ChangedData "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "QuoteEntity": (
        "QuoteId:i SaleId:i QuoteConnectionId:i ERPQuoteKey:s ERPOrderKey:s ActiveQuoteVersionId:i "
        "AcceptedQuoteAlternativeId:i UseValuesFromQuote:i DocumentId:i PoNumber:s OrderComment:s "
        "PreferredEmailCulture:s QuoteVersions:[@QuoteVersion] TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "QuoteLine": (
        "QuoteLineId:i ERPQuoteLineKey:s QuoteAlternativeId:i ERPProductKey:s Status:e(Ok|OkWithInfo|Warning|"
        "Error) Reason:s Quantity:d DeliveredQuantity:d Rank:i Name:s Description:s Code:s QuantityUnit:s "
        "PriceUnit:s ItemNumber:s Url:s ProductCategoryKey:s ProductFamilyKey:s ProductTypeKey:s Supplier:s "
        "SupplierCode:s Thumbnail:s VATInfo:s VAT:d UnitCost:d UnitMinimumPrice:d UnitListPrice:d "
        "ExtraInfo:[@ProductExtraDataField] RawExtraInfo:s IsSubscription:b SubscriptionUnit:s "
        "SubscriptionQuantity:d SubscriptionStart:t ERPDiscountPercent:d ERPDiscountAmount:d "
        "DiscountPercent:d DiscountAmount:d UserValueOverride:e(None|Total|DiscountPercent|DiscountAmount|"
        "EarningPercent|EarningAmount) EarningPercent:d EarningAmount:d SubTotal:d TotalPrice:d Rights:s "
        "Rule:s ExtraField1:s ExtraField2:s ExtraField3:s ExtraField4:s ExtraField5:s TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "QuoteVersion": (
        "QuoteVersionId:i ERPQuoteVersionKey:s QuoteId:i Description:s Number:s State:e(Unknown|Draft|"
        "DraftNotCalculated|DraftNeedsApproval|DraftApproved|DraftNotApproved|Sent|Archived|Lost|Sold) "
        "ArchivedState:e(Unknown|Draft|DraftNotCalculated|DraftNeedsApproval|DraftApproved|DraftNotApproved|"
        "Sent|Archived|Lost|Sold) Status:e(Ok|OkWithInfo|Warning|Error) Reason:s LikelyQuoteAlternativeId:i "
        "SentDate:t FollowupId:i ExpirationDate:t DeliveryCountryId:i HasOwnDeliveryAddress:b "
        "InvoiceCountryId:i HasOwnInvoiceAddress:b ERPPaymentTermsKey:s ERPPaymentTypeKey:s "
        "ERPDeliveryTermsKey:s ERPDeliveryTypeKey:s Rank:i ApprovedBy:i ApprovedText:s "
        "ApprovedRegisteredBy:i ApprovedRegisteredDate:t ExtraField1:s ExtraField2:s ExtraField3:s "
        "ExtraField4:s ExtraField5:s LastRecalculated:t Updated:t UpdatedAssociateId:i Registered:t "
        "RegisteredAssociateId:i RequestAssociateId:i RequestComment:s QuoteAlternatives:[@QuoteAlternative] "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Rating": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "Reason": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "ReasonSold": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "ReasonStalled": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "RecalculateQuoteAlternativeRequest": ("QuoteAlternative:i"),
    "Sale": (
        "ContactName:s SaleDate:t SaleId:i Probability:i Title:s Amount:d Currency:s ProjectName:s "
        "AssociateFullName:s Description:s Status:e(Unknown|Open|Sold|Lost|Stalled|SaintAll) "
        "WeightedAmount:d ProjectId:i EarningPercent:d Earning:d ContactId:i AssociateId:i PersonId:i "
        "SaleTypeId:i SaleTypeName:s PersonFullName:s Completed:e(Unknown|NotStarted|Started|Completed) "
        "ActiveErpLinks:i NextDueDate:t Number:s TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "SaleEntity": (
        "Appointment:@Appointment Associate:@Associate UpdatedBy:@Associate CreatedBy:@Associate "
        "Contact:@Contact Project:@Project SaleText:s Person:@Person Currency:@Currency "
        "Competitor:@Competitor Credited:@Credited Rating:@Rating Reason:@Reason Source:@Source "
        "Status:e(Unknown|Open|Sold|Lost|Stalled|SaintAll) Saledate:t Amount:d SaleId:i Earning:d "
        "EarningPercent:d Heading:s Number:s Probability:i CreatedDate:t UpdatedDate:t Completed:e(Unknown|"
        "NotStarted|Started|Completed) ActiveLinks:i Links:[@Link] NextDueDate:t Postit:s SaleType:@SaleType "
        "ReasonSold:@ReasonSold ReasonStalled:@ReasonStalled ReopenDate:t "
        "SaleStakeholders:[@SaleStakeholder] ActiveErpLinks:i UserDefinedFields:{s} ExtraFields:{s} "
        "CustomFields:{s} PublishEventDate:t PublishTo:t PublishFrom:t IsPublished:b "
        "VisibleFor:[@VisibleFor] TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "SaleHasQuoteRequest": ("SaleId:i"),
    "SaleStakeholder": (
        "StakeholderRoleName:s Comment:s StakeholderRoleId:i CountryId:i PersonId:i EmailDescription:s "
        "EmailId:i EmailAddress:s PhoneId:i ContactName:s ContactId:i SaleId:i Mrmrs:s Firstname:s "
        "MiddleName:s Lastname:s SaleStakeholderId:i Rank:i Phone:s TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "SaleType": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "SaveQuoteEntityRequest": ("QuoteEntity:@QuoteEntity"),
    "SaveQuoteLineRequest": ("QuoteLine:@QuoteLine"),
    "SaveQuoteLinesRequest": ("QuoteLines:[@QuoteLine]"),
    "SaveQuoteRequest": ("Quote:@Quote"),
    "SaveQuoteVersionRequest": ("QuoteVersion:@QuoteVersion"),
    "SavedUtmParameters": (
        "FormName:s FirsttouchSource:s FirsttouchMedium:s FirsttouchCampaign:s FirsttouchTerm:s "
        "FirsttouchContent:s FirsttouchReferrerDomain:s Source:s Medium:s Campaign:s Term:s Content:s "
        "ReferrerDomain:s TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "SelectableMDOListItem": (
        "Id:i Name:s ToolTip:s Deleted:b Rank:i Type:s ColorBlock:i IconHint:s Selected:b LastChanged:t "
        "ChildItems:[@SelectableMDOListItem] ExtraInfo:s StyleHint:s Hidden:b FullName:s "
        "TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "Source": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "StructuredAddress": (
        "AtypeIdx:e(Unknown|ContactPostalAddress|ContactStreetAddress|PersonPrivateAddress|"
        "QuoteBillingAddress|QuoteShippingAddress) Address1:s Address2:s Address3:s City:s County:s State:s "
        "Zipcode:s Formatted:s"
    ),
    "TableRight": ("Mask:s Reason:s"),
    "TicketPriority": ("Id:i Value:s Tooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
    "UserInfo": (
        "Deleted:b UserInfoId:i UserName:s PersonId:i Rank:i Tooltip:s UserGroupId:i EjUserId:i "
        "UserType:e(Unknown|InternalAssociate|ResourceAssociate|ExternalAssociate|AnonymousAssociate|"
        "SystemAssociate) GrantedLicenses:[s] CanLogon:b RoleName:s RoleTooltip:s UserGroupName:s "
        "UserGroupTooltip:s TableRight:@TableRight FieldProperties:{@FieldProperty}"
    ),
    "VisibleFor": (
        "VisibleId:i Visibility:e(All|Associate|Group) DisplayValue:s TableRight:@TableRight "
        "FieldProperties:{@FieldProperty}"
    ),
    "Webhook": (
        "WebhookId:i Name:s Events:[s] TargetUrl:s Secret:s State:e(Unknown|Active|Stopped|TooManyErrors) "
        "Type:s Headers:{s} Properties:{{o}} Registered:t RegisteredAssociate:@Associate Updated:t "
        "UpdatedAssociate:@Associate ErrorsEmail:s ErrorEmails:[s] ErrorAssociates:[@MDOListItem] "
        "Description:s NotifyVia:e(None|Email|InApp) NotifyWhen:e(None|FirstFailure|Disabling) TotalCalls:i "
        "TotalErrors:i ConsecutiveErrors:i LastError:s"
    ),
    "WebhookResult": ("Success:b Message:s TableRight:@TableRight FieldProperties:{@FieldProperty}"),
}
# Each ``*WithLinks`` carrier is its entity plus ``_Links`` (as in the spec): derived, not transcribed twice.
SHAPES.update(
    {
        f"{base}WithLinks": SHAPES[base] + " _Links:{s}"
        for base in ("ContactEntity", "PersonEntity", "PriceList", "SaleEntity", "Webhook")
    }
)
