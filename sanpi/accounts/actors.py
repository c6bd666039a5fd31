"""The actor for operator commands run on the server (`sanpi import …`, `sanpi demo`).

Such commands act with city-wide ledger rights; their audit rows carry no user
account but the operating-system login of whoever ran them ("cli:root"), with
source "cli". A command given ``--user NAME`` acts as that account instead, with
its scope and capabilities.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from .roles import ROLE_CAPS, Cap, Role


@dataclass(frozen=True)
class SystemActor:
    name: str
    pk: None = None
    is_active: bool = True
    role: str = Role.CITY_OFFICE.value
    county_id: None = None
    zone_id: None = None
    enterprise_id: None = None

    def can(self, cap: Cap | str) -> bool:
        return Cap(cap) in ROLE_CAPS[Role.CITY_OFFICE]

    @property
    def sees_all(self) -> bool:
        return True

    @property
    def scope_dimension(self) -> None:
        return None

    @property
    def scope_value(self) -> None:
        return None

    def get_username(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


def cli_actor() -> SystemActor:
    try:
        login = getpass.getuser()
    except Exception:
        login = "unknown"
    return SystemActor(name=f"cli:{login}")
