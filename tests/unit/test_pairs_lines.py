"""`KEY=value` lines (the v2 form's envs and labels): lossless for `,` `=` spaces and unicode,
and a line that does not read is named, not dropped."""

from __future__ import annotations

from tui.documents.pairs import fits_lines, pairs_text, read_pairs

HARD = (("A", "x, y"), ("URL", "postgres://u:p@h/db?a=1&b=2"), ("SPACED", "  two  spaces  "),
        ("GREETING", "grüß dich, 世界 = 🌍"), ("EMPTY", ""))


def test_values_with_commas_equals_spaces_and_unicode_survive_the_round_trip() -> None:
    assert fits_lines(HARD)
    read = read_pairs(pairs_text(HARD))
    assert read.problems == ()
    assert read.pairs == HARD


def test_keys_are_trimmed_blank_lines_skipped_crlf_read() -> None:
    read = read_pairs("  K = v \r\n\n\nJ=1=2\n")
    assert read.pairs == (("K", " v "), ("J", "1=2"))


def test_a_line_that_does_not_read_is_named_with_its_number() -> None:
    read = read_pairs("A=1\njust words, no equals\n=orphan\nB=2", "NAME")
    assert read.pairs == (("A", "1"), ("B", "2"))
    assert read.problems == ("line 2: no '=' (write NAME=value)",
                             "line 3: nothing before '=' (write NAME=value)")


def test_pairs_lines_cannot_hold_are_left_to_the_json_pane() -> None:
    assert not fits_lines((("K", "two\nlines"),))
    assert not fits_lines((("K=J", "v"),))
    assert not fits_lines(((" K", "v"),))
    assert fits_lines(())
