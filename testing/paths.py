"""Where the tests find what lies outside the checkout."""

from __future__ import annotations

from pathlib import Path


def _shared() -> Path:
    """../shared beside the checkout; from a git worktree, beside the main checkout it belongs to."""
    checkout = Path(__file__).resolve().parents[1]
    common = checkout / ".git"
    if common.is_file():  # a worktree: ".git" names <main>/.git/worktrees/<name>
        common = Path(common.read_text(encoding="utf-8").split(":", 1)[1].strip()).parents[1]
    return common.parent.parent / "shared"


SHARED = _shared()
