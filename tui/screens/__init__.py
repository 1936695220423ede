"""Screens of the app. `all_screen_classes` lets the keymap be checked against every screen."""

from __future__ import annotations


def all_screen_classes() -> list[type]:
    import importlib

    classes: list[type] = []
    for module_name, class_names in SCREENS.items():
        try:
            module = importlib.import_module(f"tui.screens.{module_name}")
        except ImportError:
            continue
        classes.extend(getattr(module, name) for name in class_names if hasattr(module, name))
    return classes


SCREENS = {
    "deployments": ["DeploymentsScreen"],
    "pulse": ["PulseScreen"],
    "detail": ["DetailScreen"],
    "editor": ["EditorScreen"],
    "confirm": ["ConfirmByName", "ConfirmScreen"],
    "revision_diff": ["RevisionDiffScreen"],
    "interact": ["InteractScreen"],
    "bento_picker": ["BentoPicker"],
    "file_prompt": ["FilePrompt"],
    "json_view": ["JsonScreen"],
    "help": ["HelpScreen"],
    "pickers": ["PickerScreen"],
    "alerts": ["AlertsScreen"],
}
