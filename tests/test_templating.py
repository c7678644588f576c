"""The template environment's own filters give what Jinja's would (`app/core/templating.py`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from jinja2.filters import do_indent
from markupsafe import Markup

from app.core.templating import indent, templates

TEXT = st.text(alphabet=st.sampled_from("ab <>&\"'\n\r\t\u2028é"), max_size=60)
WIDTH = st.one_of(st.integers(min_value=0, max_value=8), st.sampled_from(["", "  ", "\t", "&"]))


@given(TEXT, WIDTH, st.booleans(), st.booleans(), st.booleans())
def test_indent_gives_exactly_what_jinjas_indent_gives(
        text: str, width: int | str, first: bool, blank: bool, safe: bool) -> None:
    value = Markup(text) if safe else text  # noqa: S704 - generated test text
    ours, jinjas = indent(value, width, first, blank), do_indent(value, width, first, blank)
    assert ours == jinjas
    assert type(ours) is type(jinjas)


def test_indented_markup_is_not_escaped_again_and_text_still_is() -> None:
    env = templates.env
    rendered = env.from_string("{{ html | indent(2) }}|{{ text | indent(2) }}").render(
        html=Markup("<p>\n<b>x</b></p>"), text="<p>\nx")  # noqa: S704 - a literal
    assert rendered == "<p>\n  <b>x</b></p>|&lt;p&gt;\n  x"
