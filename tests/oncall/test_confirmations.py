"""Confirmations on the rota and swaps pages are htmx's ``hx-confirm``, not inline
``onsubmit`` handlers; the forms that ask are htmx-driven (boosted: the answer is still the
page that shows the new feed address once), so the question still appears."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NEW_ADDRESS = "Make a new address? Subscriptions to the old one stop working."


def test_no_inline_submit_handlers_in_rota_and_swaps_templates():
    found = [
        str(path.relative_to(TEMPLATES))
        for folder in ("oncall", "swaps")
        for path in sorted((TEMPLATES / folder).rglob("*.html"))
        if "onsubmit" in path.read_text()
    ]
    assert found == []


def test_feed_address_forms_confirm_through_htmx():
    for name in ("oncall/_preferences_box.html", "oncall/schedule_detail.html"):
        text = (TEMPLATES / name).read_text()
        forms = re.findall(r"(<form[^>]*>)\{% csrf_token %\}<button[^>]*>New address<", text)
        assert forms, name
        for form in forms:
            assert f'hx-confirm="{NEW_ADDRESS}"' in form
            assert 'hx-boost="true"' in form  # hx-confirm acts only on htmx requests
