"""Roles, their Vietnamese titles, and who may manage whom."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    SYSTEM_ADMIN = "system_admin"
    PROVINCE_ADMIN = "province_admin"
    DISTRICT_ADMIN = "district_admin"
    COMMUNE_OFFICER = "commune_officer"
    TRAINER = "trainer"
    MEDIATOR = "mediator"

    @property
    def title(self) -> str:
        return ROLE_TITLES[self]


ROLE_TITLES = {
    Role.SYSTEM_ADMIN: "Quản trị hệ thống",
    Role.PROVINCE_ADMIN: "Quản trị cấp tỉnh (Sở Tư pháp)",
    Role.DISTRICT_ADMIN: "Quản trị cấp huyện",
    Role.COMMUNE_OFFICER: "Công chức Tư pháp - Hộ tịch",
    Role.TRAINER: "Tập huấn viên",
    Role.MEDIATOR: "Hòa giải viên",
}

#: Roles that keep the roster and accounts (officers).
OFFICERS = (Role.SYSTEM_ADMIN, Role.PROVINCE_ADMIN, Role.DISTRICT_ADMIN, Role.COMMUNE_OFFICER)
#: Officers plus trainers: may read the roster in their scope.
STAFF = OFFICERS + (Role.TRAINER,)
ALL_ROLES = tuple(Role)

#: Which roles an account of a given role may create or manage (always within its scope).
MANAGEABLE = {
    Role.SYSTEM_ADMIN: ALL_ROLES,
    Role.PROVINCE_ADMIN: (Role.PROVINCE_ADMIN, Role.DISTRICT_ADMIN, Role.COMMUNE_OFFICER, Role.TRAINER, Role.MEDIATOR),
    Role.DISTRICT_ADMIN: (Role.DISTRICT_ADMIN, Role.COMMUNE_OFFICER, Role.TRAINER, Role.MEDIATOR),
    Role.COMMUNE_OFFICER: (Role.MEDIATOR,),
    Role.TRAINER: (),
    Role.MEDIATOR: (),
}
