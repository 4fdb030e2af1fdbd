"""Documented demo credentials, ids and durations of the emulator.

None of these are secrets: they exist only inside the emulator and are printed by the CLI.

=====================  ===========================================================
What                   Value
=====================  ===========================================================
AK / SK                ``EMULATORACCESSKEY001`` / ``EmulatorSecretKey0000000000000000000001``
temporary AK / SK      ``EMULATORTEMPKEY00001`` / ``EmulatorTempSecret000000000000000000001``
security token         ``EMULATOR-SECURITY-TOKEN-0001`` (required with the temporary AK)
project id / region    ``0123456789abcdef0123456789abcdef`` / ``cn-north-4``
IAM user / password    ``emulator-user`` / ``emulator-password`` in domain ``emulator-domain``
second user: AK / SK   ``EMULATORACCESSKEY002`` / ``EmulatorSecretKey0000000000000000000002``
second IAM user        ``emulator-user-2`` / ``emulator-password-2`` (same domain and project)
=====================  ===========================================================

The first set of credentials (AK/SK, temporary AK/SK and IAM user) belongs to the default user
(id :data:`USER_ID`); the second set to another IAM user of the same account (id
:data:`SECOND_USER_ID`), so tests can act as someone else.

Durations (seconds): a v2 job is ``Creating`` for :data:`CREATE_SECONDS`, ``Pending`` for
:data:`PENDING_SECONDS`, ``Running`` for :data:`RUN_SECONDS`; stopping takes :data:`STOP_SECONDS`;
a deleted job stays visible for :data:`DELETE_VISIBLE_SECONDS`. Tokens live :data:`TOKEN_TTL_SECONDS`.
"""

from __future__ import annotations

ACCESS_KEY = "EMULATORACCESSKEY001"
SECRET_KEY = "EmulatorSecretKey0000000000000000000001"
TEMP_ACCESS_KEY = "EMULATORTEMPKEY00001"
TEMP_SECRET_KEY = "EmulatorTempSecret000000000000000000001"
SECURITY_TOKEN = "EMULATOR-SECURITY-TOKEN-0001"

PROJECT_ID = "0123456789abcdef0123456789abcdef"
REGION = "cn-north-4"
DOMAIN_ID = "fedcba9876543210fedcba9876543210"
USER_ID = "00000000000000000000000000000001"

IAM_USER = "emulator-user"
IAM_PASSWORD = "emulator-password"
IAM_DOMAIN = "emulator-domain"

SECOND_ACCESS_KEY = "EMULATORACCESSKEY002"
SECOND_SECRET_KEY = "EmulatorSecretKey0000000000000000000002"
SECOND_USER_ID = "00000000000000000000000000000002"
SECOND_IAM_USER = "emulator-user-2"
SECOND_IAM_PASSWORD = "emulator-password-2"

DEFAULT_WORKSPACE = "0"

HOST = "127.0.0.1"
PORT = 8089

CREATE_SECONDS = 2.0
PENDING_SECONDS = 2.0
RUN_SECONDS = 30.0
STOP_SECONDS = 3.0
DELETE_VISIBLE_SECONDS = 3.0
TOKEN_TTL_SECONDS = 24 * 3600.0

# What the pytest fixture uses: short enough that a test waits well under a second per step.
TEST_CREATE_SECONDS = 0.2
TEST_PENDING_SECONDS = 0.2
TEST_RUN_SECONDS = 0.5
TEST_STOP_SECONDS = 0.3
TEST_DELETE_VISIBLE_SECONDS = 0.3

V1_FAILURE_STATUS = 400
