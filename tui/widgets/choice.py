"""A radio button that reads without colour: ● when chosen, ○ when not.

Textual's RadioButton draws ● for both states and tells them apart by colour only, which is
lost on a 16-colour or monochrome terminal.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import RadioButton


class ChoiceButton(RadioButton):
    def render(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else "○"  # the same width: layout is unchanged
        return super().render()
