from __future__ import annotations

from hartonomous.ingest.html_text import html_to_text


class TestHtmlToText:
    """Visible text in reading order; scripts, styles and markup dropped; title apart."""

    def test_title_paragraphs_and_breaks(self) -> None:
        """Title comes separately; blocks are paragraphs; <br> breaks a line; whitespace collapses."""
        title, text = html_to_text(
            "<html><head><title> My\n page </title></head><body><h1>Hello</h1>"
            "<p>one\n   two<br>three</p><ul><li>a</li><li>b</li></ul>tail</body></html>")
        assert "My page" == title
        assert "Hello\n\none two\nthree\n\na\n\nb\n\ntail" == text

    def test_scripts_styles_and_comments_are_dropped(self) -> None:
        """Nothing inside script, style, noscript or comments is kept."""
        _, text = html_to_text("<p>keep</p><script>var x = 'drop';</script><style>p {color: red}</style>"
                               "<noscript>drop too</noscript><!-- hidden -->")
        assert "keep" == text

    def test_entities_are_decoded(self) -> None:
        """Character references become characters."""
        assert (None, "fish & chips — 5 > 3") == html_to_text("<p>fish &amp; chips &mdash; 5 &gt; 3</p>")

    def test_table_cells_are_separated(self) -> None:
        """Cells of a row are separated by a space, rows by paragraphs."""
        _, text = html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>")
        assert "a b\n\nc" == text

    def test_malformed_markup_still_gives_text(self) -> None:
        """Unclosed tags do not lose text."""
        assert (None, "open para\n\nnext") == html_to_text("<p>open <b>para<div>next")
