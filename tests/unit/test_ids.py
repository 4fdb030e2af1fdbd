from __future__ import annotations

import pytest

from airflow_provider_modelarts.api import ids


@pytest.mark.parametrize("value", ["0123456789abcdef0123456789abcdef", "a", "A-1", "x" * 64])
def test_project_id_accepts_documented_shape(value):
    assert ids.project_id(value) == value


@pytest.mark.parametrize("value", ["", "x" * 65, "../x", "a/b", "a b", "a_b", "é", None, 3.5, True])
def test_project_id_rejects_everything_else(value):
    with pytest.raises(ids.InvalidIdError, match=r"^project_id: ") as info:
        ids.project_id(value)
    assert isinstance(info.value, ValueError)
    assert info.value.field == "project_id"


def test_numeric_ids_are_canonical_and_bounded():
    assert ids.numeric_id(10) == "10"
    assert ids.numeric_id("007") == "7"
    assert ids.numeric_id(str(2**63 - 1)) == str(2**63 - 1)
    for bad in ("-1", "1.0", "1e3", str(2**63), "", "10/../11", True):
        with pytest.raises(ValueError, match=r"^version_id: "):
            ids.numeric_id(bad, "version_id")


def test_v2_and_res_ids():
    assert ids.training_job_id("3faf5c03-aaa1-4cbe-879d-24b05d997347")
    assert ids.res_job_id("aa22ac78_f141-42") == "aa22ac78_f141-42"
    with pytest.raises(ValueError, match="training_job_id"):
        ids.training_job_id("../../v1/x")
    with pytest.raises(ValueError, match="job_id"):
        ids.res_job_id("x" * 21)
    with pytest.raises(ValueError, match="job_id"):
        ids.res_job_id("a.b")


def test_regions():
    for good in ("cn-north-4", "eu-de", "ap-southeast-1", "eu-west-101", "my-kualalumpur-1"):
        assert ids.region(good) == good
    for bad in ("CN-NORTH-4", "north", "cn_north_4", "cn-north-4/..", ""):
        with pytest.raises(ValueError, match="region"):
            ids.region(bad)


def test_path_encodes_every_segment_fully():
    assert ids.path("v1", "p", "a/b", "..", "x y") == "/v1/p/a%2Fb/../x%20y"
