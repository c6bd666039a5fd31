"""The kinds of notification, each with its Chinese name and the channels a user gets
until they choose (in-app is always on). Pure: no Django imports.

A kind is a string key stored on each notification. ``notify`` accepts any key; the
preferences page lists the registered ones, and an unregistered key goes in-app only
unless the user has a preference row for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    key: str
    label: str
    email: bool = False  # default while the user has not chosen
    robot: bool = False


KINDS: dict[str, NotificationKind] = {}


def register_kind(key: str, label: str, *, email: bool = False, robot: bool = False):
    kind = NotificationKind(key, label, email, robot)
    KINDS[key] = kind
    return kind


def get_kind(key: str) -> NotificationKind:
    return KINDS.get(key) or NotificationKind(key, key)


JOB_FINISHED = register_kind("job_finished", "后台任务完成（导入、导出）").key
COMMITMENT_DUE = register_kind("commitment_due", "承诺即将到期", email=True, robot=True).key
COMMITMENT_LAPSED = register_kind("commitment_lapsed", "承诺逾期未履行", email=True, robot=True).key
ITEM_DUE = register_kind("item_due", "审批事项即将到期", email=True, robot=True).key
ITEM_OVERDUE = register_kind("item_overdue", "审批事项已超期", email=True, robot=True).key
ACCOUNT_LOCKED = register_kind("account_locked", "账号因连续输错密码被锁定", email=True).key
AUDIT_TAMPERED = register_kind("audit_tampered", "审计日志校验未通过", email=True, robot=True).key
