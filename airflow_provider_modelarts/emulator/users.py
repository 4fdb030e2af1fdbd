"""Who is calling: the emulator's IAM users and the credentials that belong to each.

Two users share the account, domain and project: the default user owns the AK/SK, the temporary
AK/SK (with its security token) and the IAM user/password of the config; the second user owns the
``second_*`` AK/SK and IAM user/password. A seed entry may name any owner: a name that is neither
user's becomes a user of its own (with an id derived from the name) who has no credentials here.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from airflow_provider_modelarts.emulator.config import EmulatorConfig


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class AccessKey:
    """What a request signed with one access key is checked with, and whose it is."""

    secret_key: str
    security_token: str | None
    user: User


class Directory:
    """The users of one emulator and their credentials (fixed for the emulator's life)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.default = User(config.user_id, config.iam_user)
        self.second = User(config.second_user_id, config.second_iam_user)
        self._access_keys = {
            config.access_key: AccessKey(config.secret_key, None, self.default),
            config.temp_access_key: AccessKey(config.temp_secret_key, config.security_token, self.default),
            config.second_access_key: AccessKey(config.second_secret_key, None, self.second),
        }
        self._passwords = {
            config.iam_user: (config.iam_password, self.default),
            config.second_iam_user: (config.second_iam_password, self.second),
        }

    def access_key(self, access_key: str) -> AccessKey | None:
        return self._access_keys.get(access_key)

    def password_user(self, name: object, password: object) -> User | None:
        """The user with this IAM name and password, or None."""
        found = self._passwords.get(name) if isinstance(name, str) else None
        if found is None or not isinstance(password, str):
            return None
        if not hmac.compare_digest(password.encode("utf-8"), found[0].encode("utf-8")):
            return None
        return found[1]

    def by_name(self, name: str) -> User:
        """The owner called ``name``: one of the two users, or a user without credentials."""
        for user in (self.default, self.second):
            if user.name == name:
                return user
        return User(hashlib.sha256(name.encode("utf-8")).hexdigest()[:32], name)
