"""Outlet resolution through the shipped registry: aliases fold, subdomains fold, nothing is invented."""

from __future__ import annotations

import pytest

from tasks.aggregate.outlets import Registry
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_csv(ROOT / "data" / "outlets.csv")


@pytest.mark.parametrize(
    ("name", "domain"),
    [("Fox News", None), ("Fox Online News", None), ("fox news", None), (None, "www.foxnews.com"),
     ("Some Columnist", "https://www.foxnews.com/politics/x"), (None, "video.foxnews.com")],
)
def test_aliases_and_domains_fold_to_one_outlet(registry: Registry, name: str | None, domain: str | None) -> None:
    resolved = registry.resolve(name, domain)
    assert resolved and resolved.entry and resolved.entry.name == "Fox News"
    assert resolved.outlet_id == registry.resolve("Fox News", None).outlet_id  # type: ignore[union-attr]


def test_unknown_outlets_are_kept_as_the_source_gives_them(registry: Registry) -> None:
    by_domain = registry.resolve("Local Gazette", "www1.localgazette.example")
    assert by_domain and by_domain.entry is None and by_domain.domain == "localgazette.example"
    by_name = registry.resolve("Local Gazette", None)
    assert by_name and by_name.name == "Local Gazette" and by_name.domain is None
    assert by_name.outlet_id != by_domain.outlet_id
    assert registry.resolve(None, None) is None
    assert registry.resolve("", "not a domain") is None


def test_registry_rows_are_well_formed(registry: Registry) -> None:
    assert len(registry.by_domain) >= 40
    for outlet in registry.by_domain.values():
        assert outlet.name and "." in outlet.domain and outlet.domain == outlet.domain.lower()
        assert outlet.media_type in {"newspaper", "tv", "radio", "wire", "magazine", "online"}
