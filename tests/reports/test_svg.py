"""The server-side charts are well-formed SVG, escape what people typed and draw the data."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

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


def test_charts_are_narrow_drawings_with_big_labels_so_a_phone_can_read_them():
    """Shrunk into a 320 px column, labels of 14 units in a 400-unit drawing are 11 px."""
    grid = [[0] * 24 for _ in range(7)]
    days = [(date(2024, 4, 1) + timedelta(days=n), n % 3) for n in range(31)]
    for chart in (svg.hours_chart([("Ann", 1, 2, 3)]), svg.daily_chart(days), svg.heatmap(grid)):
        root = parse(chart)
        width = float(root.get("viewBox").split()[2])
        sizes = {float(t.get("font-size")) for t in root.iter(f"{NS}text")}
        assert width <= 400 and min(sizes) * 320 / width >= 11


def test_daily_chart_labels_neither_crowd_nor_spill():
    days = [(date(2024, 4, 1) + timedelta(days=n), 1) for n in range(31)]
    root = parse(svg.daily_chart(days))
    width = float(root.get("viewBox").split()[2])
    xs = [float(t.get("x")) for t in root.iter(f"{NS}text") if t.get("text-anchor") == "middle"]
    assert len(xs) >= 4
    assert all(b - a >= 6 * svg.CHAR_W for a, b in zip(xs, xs[1:], strict=False))
    assert max(xs) + 3 * svg.CHAR_W <= width


def test_heatmap_has_a_legend_with_numbers():
    """Under the grid: "Pages:" and a swatch per step, none to the most, each with its number
    and the very colour of a cell holding that many."""
    grid = [[0] * 24 for _ in range(7)]
    grid[0][9], grid[2][14] = 9, 3
    root = parse(svg.heatmap(grid))
    swatches = root.findall(f"{NS}rect[@class='legend-swatch']")
    numbers = [t.text for t in root.iter(f"{NS}text")][-len(swatches) :]
    assert numbers == ["0", "1", "3", "6", "9"]
    cells = root.findall(f"{NS}rect[@class='cell']")
    three, nine, none = cells[2 * 24 + 14], cells[9], cells[1]
    for swatch, cell in ((swatches[2], three), (swatches[4], nine), (swatches[0], none)):
        assert (swatch.get("fill"), swatch.get("fill-opacity")) == (
            cell.get("fill"),
            cell.get("fill-opacity"),
        )
    assert "from 1 to 9" in root.get("aria-label")
