"""The server catalog: real offers kept as data (one YAML file per provider beside this module).

Offers change more often than code, so they live in data a person can update with a
date, and the sizing code only ever sees validated `Offer` rows.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

COUNTRY_NAMES = {
    "DE": "Germany", "FI": "Finland", "FR": "France", "NL": "Netherlands", "PL": "Poland",
    "GB": "United Kingdom", "US": "United States", "SG": "Singapore",
}
REGION_NAMES = {"EU": "Europe", "US": "North America", "APAC": "Asia Pacific"}


class _Data(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class Location(_Data):
    code: str
    city: str
    country: str
    region: str

    def matches(self, wanted: str) -> bool:
        """A location policy names a code (fsn1), city, country (DE, Germany) or region (EU, Europe)."""
        wanted = wanted.strip().lower()
        names = {self.code, self.city, self.country, self.region,
                 COUNTRY_NAMES.get(self.country, ""), REGION_NAMES.get(self.region, "")}
        return wanted in {n.lower() for n in names if n}

    def describe(self) -> str:
        return f"{self.city} ({self.code})"


class Offer(_Data):
    provider: str
    provider_name: str
    name: str
    kind: Literal["cloud", "dedicated"]
    architecture: Literal["x86_64", "arm64"]
    cpus: int = Field(ge=1)
    memory_gi_b: int = Field(alias="memoryGiB", ge=1)
    disk_gi_b: int = Field(alias="diskGiB", ge=1)
    monthly_eur: float = Field(ge=0)
    prices_as_of: date
    locations: tuple[Location, ...]

    @property
    def memory_mib(self) -> int:
        return self.memory_gi_b * 1024

    def describe(self) -> str:
        return (f"{self.provider_name} {self.name} ({self.cpus} vCPU, {self.memory_gi_b} GB, "
                f"{self.disk_gi_b} GB disk, {self.architecture})")


class _OfferRow(_Data):
    name: str
    kind: Literal["cloud", "dedicated"]
    architecture: Literal["x86_64", "arm64"]
    cpus: int
    memory_gi_b: int = Field(alias="memoryGiB")
    disk_gi_b: int = Field(alias="diskGiB")
    monthly_eur: float
    locations: list[str]


class _LocationRow(_Data):
    city: str
    country: str
    region: str


class _ProviderFile(_Data):
    provider: str
    name: str
    prices_as_of: date
    locations: dict[str, _LocationRow]
    offers: list[_OfferRow]


def parse_provider(text: str) -> list[Offer]:
    """Offers of one provider file; unknown keys or a location the file does not define are errors."""
    data = _ProviderFile.model_validate(yaml.safe_load(text))
    locations = {code: Location(code=code, **row.model_dump()) for code, row in data.locations.items()}
    offers = []
    for row in data.offers:
        missing = [code for code in row.locations if code not in locations]
        if missing:
            raise ValueError(f"{data.provider} {row.name}: unknown locations {missing}")
        fields = row.model_dump(exclude={"locations"})
        offers.append(Offer(provider=data.provider, provider_name=data.name, prices_as_of=data.prices_as_of,
                            locations=tuple(locations[code] for code in row.locations), **fields))
    return offers


@lru_cache(maxsize=1)
def load_catalog() -> tuple[Offer, ...]:
    """Every offer of every provider file, cheapest first (ties: more memory, then x86_64, first)."""
    offers: list[Offer] = []
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            offers.extend(parse_provider(entry.read_text()))
    return tuple(sorted(offers, key=lambda o: (o.monthly_eur, -o.memory_gi_b, o.architecture != "x86_64",
                                               o.provider, o.name)))


def find_offer(name: str, catalog: tuple[Offer, ...] | None = None) -> Offer | None:
    """The offer with this name (case-insensitive)."""
    wanted = name.strip().lower()
    return next((o for o in catalog or load_catalog() if o.name.lower() == wanted), None)
