"""tree-sitter 0.26.1 segfaults when a JSON TextArea mounts (textual 8.2.8, CPython 3.11).

This runs the mount in a subprocess so a segfault fails this test instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_json_code_editor_mounts_with_highlighting() -> None:
    script = textwrap.dedent("""
        import asyncio
        from textual.app import App
        from textual.document._syntax_aware_document import SyntaxAwareDocument
        from textual.widgets import TextArea

        class Editor(App):
            def compose(self):
                yield TextArea.code_editor('{"name": "iris-demo", "targets": []}', language="json")

        async def main():
            app = Editor()
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                area = app.query_one(TextArea)
                assert isinstance(area.document, SyntaxAwareDocument), type(area.document)
                print("mounted", area.language)

        asyncio.run(main())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert "mounted json" in result.stdout
