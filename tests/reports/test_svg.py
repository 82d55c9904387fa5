"""The server-side charts are well-formed SVG, escape what people typed and draw the data."""

import xml.etree.ElementTree as ET
from datetime import date

from portal.reports import svg

NS = "{http://www.w3.org/2000/svg}"


def parse(markup):
    return ET.fromstring(str(markup))


def test_hours_chart_stacks_and_escapes_names():
    root = parse(svg.hours_chart([("<script>alert(1)</script>", 10, 5, 5), ("Bo", 0, 0, 2)]))
    assert "<script>" not in str(svg.hours_chart([("<script>", 1, 1, 1)]))
    bars = root.findall(f"{NS}rect[@class='bar']")
    assert len(bars) == 4  # three parts for the first person, one for the second
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == 2 * widths[1] == 2 * widths[2]  # 10 : 5 : 5
    assert bars[0].find(f"{NS}title").text == "<script>alert(1)</script>: 10 h working"


def test_daily_chart_draws_one_bar_per_day_with_pages():
    root = parse(
        svg.daily_chart([(date(2024, 4, 1), 2), (date(2024, 4, 2), 0), (date(2024, 4, 3), 4)])
    )
    bars = root.findall(f"{NS}rect[@class='bar']")
    assert [b.find(f"{NS}title").text for b in bars] == [
        "Mon 01 Apr: 2 interruptions",
        "Wed 03 Apr: 4 interruptions",
    ]
    assert float(bars[1].get("height")) == 2 * float(bars[0].get("height"))


def test_heatmap_has_a_cell_per_hour_and_weekday():
    grid = [[0] * 24 for _ in range(7)]
    grid[6][3] = 5
    root = parse(svg.heatmap(grid))
    cells = root.findall(f"{NS}rect[@class='cell']")
    assert len(cells) == 7 * 24
    busy = cells[6 * 24 + 3]
    assert busy.find(f"{NS}title").text == "Sun 03:00–03:59: 5 pages"
    assert busy.get("fill-opacity") == "1.00"
