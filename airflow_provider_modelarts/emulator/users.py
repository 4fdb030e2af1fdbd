"""Who is calling: the emulator's IAM users and the credentials that belong to each.

Two users share the account, domain and project: the default user owns the AK/SK, the temporary
AK/SK (with its security token) and the IAM user/password of the config; the second user owns the
``second_*`` AK/SK and IAM user/password. A seed entry may name any owner: a name that is neither
user's becomes a user of its own (with an id derived from the name) who has no credentials here.

The temporary AK/SK and security token can be rotated (:meth:`Directory.rotate_temporary`), as the
service's temporary credentials expire and are replaced: the old ones are refused from then on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
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
    """The users of one emulator and their credentials (fixed for the emulator's life, except the
    temporary ones, which :meth:`rotate_temporary` replaces)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
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

    def rotate_temporary(self) -> None:
        """Replace the temporary AK/SK and security token with new ones (the config shows them);
        requests signed with the old ones are refused from now on, as after their expiry."""
        config = self._config
        with self._lock:
            keys = dict(self._access_keys)
            keys.pop(config.temp_access_key, None)
            config.temp_access_key = "EMULATORTEMP" + secrets.token_hex(4).upper()
            config.temp_secret_key = "EmulatorTempSecret" + secrets.token_hex(12)
            config.security_token = "EMULATOR-SECURITY-TOKEN-" + secrets.token_urlsafe(24)
            temporary = AccessKey(config.temp_secret_key, config.security_token, self.default)
            keys[config.temp_access_key] = temporary
            self._access_keys = keys  # one assignment: a request being checked sees old or new

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
