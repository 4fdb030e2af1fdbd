from __future__ import annotations

import pytest

from airflow_provider_modelarts.api.statuses import Category, JobFamily, V1Status, category, status_name


def test_v1_table_matches_the_documented_codes():
    # The commonly assumed "7 running, 8 completed, 9 failed, 10 killed" mapping is wrong.
    assert V1Status(7).name == "WAITING"
    assert V1Status(8).name == "RUNNING"
    assert V1Status(9).name == "KILLING"
    assert V1Status(10).name == "COMPLETED"
    assert V1Status(11).name == "FAILED"
    assert V1Status(12).name == "KILLED"
    assert len(V1Status) == 22


@pytest.mark.parametrize(
    ("family", "status", "expected"),
    [
        (JobFamily.TRAINING, "Running", Category.ACTIVE),
        (JobFamily.TRAINING, "Terminating", Category.STOPPING),
        (JobFamily.TRAINING, "Terminated", Category.STOPPED),
        (JobFamily.TRAINING, "Completed", Category.SUCCEEDED),
        (JobFamily.TRAINING, "Abnormal", Category.FAILED),
        (JobFamily.TRAINING, "Exploding", Category.UNKNOWN),
        (JobFamily.TRAINING, None, Category.UNKNOWN),
        (JobFamily.TRAINING_V1, 8, Category.ACTIVE),
        (JobFamily.TRAINING_V1, "12", Category.STOPPED),
        (JobFamily.TRAINING_V1, 6, Category.FAILED),
        (JobFamily.TRAINING_V1, 99, Category.UNKNOWN),
        (JobFamily.VISUALIZATION, 9, Category.STOPPING),
        (JobFamily.RES, "succeeded", Category.SUCCEEDED),
        (JobFamily.RES, "KILLED", Category.STOPPED),
        (JobFamily.RES, "computing", Category.ACTIVE),
        (JobFamily.RES, "weird", Category.UNKNOWN),
    ],
)
def test_categories(family, status, expected):
    assert category(family, status) is expected


def test_unknown_is_never_terminal():
    assert not Category.UNKNOWN.terminal
    assert not Category.STOPPING.terminal
    assert Category.STOPPED.terminal


def test_status_names():
    assert status_name(JobFamily.TRAINING_V1, 12) == "KILLED (12)"
    assert status_name(JobFamily.TRAINING, "Terminated") == "Terminated"
