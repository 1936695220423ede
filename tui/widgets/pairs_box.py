"""A few `KEY=value` lines in the v2 form (envs, labels), with what does not read shown under them.

The text is the user's until it reads: a bad line is named here and the box keeps it; the
form sends the pairs on only when every line reads (`tui.documents.pairs`).  Pairs that lines
cannot hold (a line break in a value) are left to the JSON pane, and the box says so.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from tui.documents.pairs import Pairs, ReadPairs, fits_lines, pairs_text, read_pairs
from tui.widgets.safe_inputs import SafeTextArea
from tui.widgets.safe_text import safe_block

JSON_ONLY = "holds a line break (or a key with '='): edit it in the JSON pane"


class PairsBox(Vertical):
    """`KEY=value` lines; `key_word` names the key in messages (NAME for envs, key for labels)."""

    def __init__(self, key_word: str, placeholder: str, *, id: str | None = None,
                 classes: str = "") -> None:
        super().__init__(id=id, classes=f"pairs {classes}".strip())
        self.key_word = key_word
        self._placeholder = placeholder
        self.problems: tuple[str, ...] = ()
        self.json_only = False

    def compose(self) -> ComposeResult:
        yield SafeTextArea(soft_wrap=False, placeholder=self._placeholder, classes="pairs-text")
        yield Static(classes="pairs-problem")

    def on_mount(self) -> None:
        self.query_one(".pairs-problem", Static).display = False

    @property
    def area(self) -> TextArea:
        return self.query_one(".pairs-text", TextArea)

    @property
    def text(self) -> str:
        return self.area.text

    def read(self) -> ReadPairs:
        """The lines as pairs; the ones that do not read are shown under the box."""
        if self.json_only:
            return ReadPairs()
        read = read_pairs(self.text, self.key_word)
        self._say(read.problems)
        return read

    def show_pairs(self, pairs: Pairs) -> None:
        """The document's pairs, unless the box's lines already read as them (what the user
        typed stays, a line that does not read included)."""
        self.json_only = not fits_lines(pairs)
        area = self.area
        area.read_only = self.json_only
        if self.json_only:
            area.load_text("")
            self._say((JSON_ONLY,))
            return
        read = read_pairs(area.text, self.key_word)
        if read.pairs != pairs:
            area.load_text(pairs_text(pairs))
            read = ReadPairs(pairs)
        self._say(read.problems)  # a line that does not read stays while the rest agrees

    def _say(self, problems: tuple[str, ...]) -> None:
        self.problems = () if self.json_only else problems
        note = self.query_one(".pairs-problem", Static)
        note.update(safe_block("\n".join(problems), style="yellow"))
        note.display = bool(problems)
