"""Checking the user's `[keymap]` against the bindings it remaps.

Only what the user changed is judged: built-in keys that two screens (or a screen and the
app) share on purpose are not the user's doing and are never reported.  A binding id is known
when any binding of the app, a screen or a widget carries it (every id `?` shows); a collision
is reported when a remapped key lands on another binding of the same scope (one widget, or
one screen together with the app's keys, which apply on every screen).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode


@dataclass(frozen=True)
class Scope:
    """Bindings declared together: one screen's plus the app's (those apply on every screen),
    or one widget class's own.  A derived class's binding replaces its base's for the same
    key, as Textual merges them, so bases are not part of a widget's scope."""

    name: str
    bindings: tuple[Binding, ...]


def _own_bindings(owner: type) -> tuple[Binding, ...]:
    return tuple(b for b in owner.__dict__.get("BINDINGS", ()) if isinstance(b, Binding))


def _subclasses(root: type) -> Iterator[type]:
    sub: type
    for sub in root.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def binding_scopes(app_class: type) -> list[Scope]:
    """Every scope with binding ids: the app's screens (with the app's keys) and every widget
    class loaded (ours and Textual's)."""
    from textual.app import App
    from textual.screen import Screen

    from tui.screens import all_screen_classes  # deferred: start-up time: only a user keymap needs every screen

    app_bindings = _own_bindings(app_class)
    screens = all_screen_classes()
    scopes = [Scope(app_class.__name__, app_bindings)]
    scopes += [Scope(screen.__name__, app_bindings + _own_bindings(screen)) for screen in screens]
    for klass in set(_subclasses(DOMNode)):
        if issubclass(klass, (App, Screen)):
            continue
        bindings = _own_bindings(klass)
        if any(b.id for b in bindings):
            scopes.append(Scope(klass.__name__, bindings))
    return scopes


def _keys(binding: Binding, keymap: dict[str, str]) -> list[str]:
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return [k.strip() for k in keys.split(",") if k.strip()]


def check_keymap(keymap: dict[str, str], scopes: Iterable[Scope]) -> tuple[dict[str, str], list[str]]:
    """The entries of `keymap` that name a known binding id, and one line per problem:
    each unknown id, and each key the user's remapping puts on two bindings of one scope."""
    scopes = list(scopes)
    known = {b.id for scope in scopes for b in scope.bindings if b.id}
    problems = [f"keymap: unknown binding id {ident!r} (? shows the ids)"
                for ident in keymap if ident not in known]
    valid = {ident: keys for ident, keys in keymap.items() if ident in known}
    defaults = {b.id: set(_keys(b, {})) for scope in scopes for b in scope.bindings if b.id}
    changed = {ident for ident, keys in valid.items()
               if set(k.strip() for k in keys.split(",")) != defaults[ident]}
    conflicts: set[str] = set()
    for scope in scopes:
        if not any(b.id in changed for b in scope.bindings):
            continue  # the user changed nothing here
        holder: dict[str, Binding] = {}
        for binding in scope.bindings:
            for key in _keys(binding, valid):
                other = holder.get(key)
                if other is None:
                    holder[key] = binding
                    continue
                same = (other.id and other.id == binding.id) or other is binding
                if not same and (other.id in changed or binding.id in changed):
                    first, second = other.id or other.action, binding.id or binding.action
                    conflicts.add(f"keymap: {key!r} is bound to both {first} and {second} "
                                  f"({scope.name.removesuffix('Screen')})")
    return valid, problems + sorted(conflicts)
