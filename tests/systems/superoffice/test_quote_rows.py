"""One row per sale from a quote tree: the active version only, alternatives by id, lines by rank."""

from __future__ import annotations

from sluice.systems.superoffice.quote_rows import QuoteRows, quote_row
from sluice.systems.superoffice.quotes import QuoteTree


def tree(likely: int = 0) -> QuoteTree:
    return QuoteTree(
        sale_id=17,
        quote={"QuoteId": 7, "ActiveQuoteVersionId": 2},
        versions=[
            {"QuoteVersionId": 1, "State": "Archived", "LikelyQuoteAlternativeId": 10},
            {"QuoteVersionId": 2, "State": "Draft", "LikelyQuoteAlternativeId": likely},
        ],
        alternatives=[
            {"QuoteAlternativeId": 10, "QuoteVersionId": 1, "Name": "old"},
            {"QuoteAlternativeId": 22, "QuoteVersionId": 2, "Name": "second", "TotalPrice": 5.0},
            {"QuoteAlternativeId": 21, "QuoteVersionId": 2, "Name": "first"},
        ],
        lines=[
            {"QuoteLineId": 100, "QuoteAlternativeId": 10, "Rank": 1},
            {"QuoteLineId": 202, "QuoteAlternativeId": 21, "Rank": 1, "Code": "B"},
            {"QuoteLineId": 201, "QuoteAlternativeId": 21, "Rank": 2, "Code": "A", "Noise": "dropped"},
        ],
    )


def test_the_row_holds_the_active_version_with_alternatives_by_id_and_lines_by_rank() -> None:
    row = quote_row(tree(likely=22))
    assert (row["SaleId"], row["QuoteId"], row["ActiveQuoteVersionId"], row["VersionState"]) == (17, 7, 2, "Draft")
    assert [a["QuoteAlternativeId"] for a in row["Alternatives"]] == [21, 22]
    assert [line["QuoteLineId"] for line in row["Lines"]] == [202, 201]
    assert "Noise" not in row["Lines"][0]
    assert row["FavoriteQuoteAlternativeId"] == 22


def test_the_favourite_falls_back_to_the_first_alternative_of_the_active_version() -> None:
    assert quote_row(tree(likely=10))["FavoriteQuoteAlternativeId"] == 21  # 10 is in an archived version


def test_a_read_without_a_watermark_hands_back_none() -> None:
    class Unread:
        def __iter__(self):
            return iter([tree()])

        @property
        def watermark(self):
            raise RuntimeError("the watermark is known once the trees have been read")

    rows = QuoteRows(Unread())
    assert [r["SaleId"] for r in rows] == [17] and rows.watermark is None
    assert QuoteRows([tree()]).watermark is None
