"""bentotui: a keyboard-first terminal UI for BentoCloud Deployments."""

__version__ = "0.1.0"
