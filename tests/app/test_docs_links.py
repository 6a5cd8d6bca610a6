"""The pages a maker and an operator follow: links resolve, and they do not promise what is not
there (the merchant balance is logged, and shown only in the till menu behind the admin PIN)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PAGES = ["README.md", "hardware/README.md", "docs/accounts-and-keys.md", "docs/configuration.md"]


def markdown() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md") if ".venv" not in p.parts and ".git" not in p.parts)


@pytest.mark.parametrize("page", PAGES)
def test_relative_links_resolve(page: str) -> None:
    path = ROOT / page
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (path.parent / target).exists(), f"{page} links to missing {target}"


def test_every_mention_of_accounts_and_keys_links_the_page() -> None:
    page = ROOT / "docs" / "accounts-and-keys.md"
    assert page.exists()
    for path in markdown():
        text = path.read_text(encoding="utf-8")
        if path == page or "accounts and keys" not in text.lower():
            continue
        links = [t for t in LINK.findall(text) if t.endswith("accounts-and-keys.md")]
        assert links, f"{path.relative_to(ROOT)} mentions Accounts and keys without the link"
        assert all((path.parent / t).resolve() == page for t in links)


def test_no_page_says_the_balance_is_on_screen() -> None:
    wrong = re.compile(r"shows the balance|balance (?:is )?(?:on|shown on) (?:the )?screen", re.I)
    for path in markdown():
        found = wrong.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.relative_to(ROOT)}: {found.group(0) if found else ''}"
