"""The light reading of v2 search pages behind shared waits: only what a snapshot needs is built,
any other shape is read as plain JSON, and the answers are those of the full model."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest

from airflow_provider_modelarts.api import operations as ops
from airflow_provider_modelarts.api.errors import ModelArtsApiError, ModelArtsError, ModelArtsResponseError
from airflow_provider_modelarts.api.exchange import ApiRequest, interpret
from airflow_provider_modelarts.api.models import read_light_v2_search_page
from airflow_provider_modelarts.api.session import ModelArtsSession
from airflow_provider_modelarts.auth.aksk import AkSkAuth
from airflow_provider_modelarts.emulator import EmulatorServer
from tests.verdicts.emulated import session_of
from tests.verdicts.scripted import PROJECT, Answer, Script

P = PROJECT
ID = '"id":"00000000-0000-0000-0000-000000000001"'


def _containers(value: Any) -> Iterator[Any]:
    if isinstance(value, dict | list):
        yield value
        for child in value.values() if isinstance(value, dict) else value:
            yield from _containers(child)


def _search_page_request() -> ApiRequest:
    request = next(ops.walk_training_job_snapshots(P))
    assert isinstance(request, ApiRequest)
    return request


def test_the_walk_behind_shared_waits_reads_its_pages_lightly() -> None:
    assert _search_page_request().read is read_light_v2_search_page


def test_a_documented_page_builds_only_what_a_snapshot_needs(modelarts_emulator: EmulatorServer) -> None:
    modelarts_emulator.seed("training", 50, name="light", emulator={"run_seconds": None})
    conn = modelarts_emulator.airflow_connection()
    with closing(session_of(modelarts_emulator)) as session:
        project = conn["extra"]["project_id"]
        full = session.run(ops.walk_training_jobs(project))
        light = session.run(ops.walk_training_job_snapshots(project))
        assert light.items == [job.snapshot() for job in full.items]
        assert (light.complete, light.pages) == (full.complete, full.pages) == (True, 1)
        body = httpx.post(
            f"{modelarts_emulator.url}/v2/{project}/training-job-searches",
            json={"offset": 0, "limit": 50},
            auth=AkSkAuth(conn["login"], conn["password"]),
        ).content
    plain, read = json.loads(body), read_light_v2_search_page(body)
    assert len(read["items"]) == len(plain["items"]) == 50
    assert [item["metadata"]["id"] for item in read["items"]] == [j.job_id for j in light.items]
    tracked = sum(gc.is_tracked(c) for c in _containers(read))  # the page, its list, one per item
    assert tracked <= 52
    assert 4 * tracked < sum(gc.is_tracked(c) for c in _containers(plain))


def _session(body: bytes) -> ModelArtsSession:
    return Script([Answer(200, body)]).session()


def _page(*items: str, count: str = "1") -> bytes:
    """A search page as the raw JSON text of its parts (some bodies are not what ``json`` writes)."""
    return ('{"total":' + count + ',"count":' + count + ',"items":[' + ",".join(items) + "]}").encode()


def _item(metadata: str = ID + ',"name":"n1","create_time":1001', status: str = '{"phase":"Running"}') -> str:
    return '{"kind":"job","metadata":{' + metadata + '},"status":' + status + "}"


PLAIN_ITEM = _item()


FOREIGN_PAGES = {
    "plain": _page(PLAIN_ITEM),
    "create_time a float": _page(_item(ID + ',"create_time":1001.0')),
    "create_time a string": _page(_item(ID + ',"create_time":"1001"')),
    "create_time a boolean": _page(_item(ID + ',"create_time":true')),
    "create_time beyond 64 bits": _page(_item(ID + ',"create_time":123456789012345678901234567890')),
    "name a number": _page(_item(ID + ',"name":7')),
    "phase a number": _page(_item(status='{"phase":3}')),
    "phase null": _page(_item(status='{"phase":null}')),
    "status null": _page(_item(status="null")),
    "status a list": _page(_item(status="[]")),
    "no status": _page('{"metadata":{' + ID + "}}"),
    "metadata twice": _page('{"metadata":{"id":"other"},"metadata":{' + ID + "}}"),
    "no id": _page('{"metadata":{"name":"n1"},"status":{"phase":"Running"}}'),
    "an item not an object": _page("[]"),
    "items null": b'{"count":0,"items":null}',
    "no items": b'{"count":0}',
    "count a float": _page(PLAIN_ITEM, count="1.0"),
    "count NaN": _page(PLAIN_ITEM, count="NaN"),
    "a lone surrogate in the id": _page('{"metadata":{"id":"a\\ud800"}}'),
    "a UTF-8 byte order mark": b"\xef\xbb\xbf" + _page(PLAIN_ITEM),
    "UTF-16": _page(PLAIN_ITEM).decode().encode("utf-16"),
    "a page that is a list": b"[1]",
    "v1's failure flag": b'{"is_success":false,"error_code":"ModelArts.0001","error_msg":"no"}',
}


def _outcome(session: ModelArtsSession, light: bool) -> object:
    try:
        if light:
            return session.run(ops.walk_training_job_snapshots(P)).items
        return [job.snapshot() for job in session.run(ops.walk_training_jobs(P)).items]
    except ModelArtsError as exc:
        return type(exc)


@pytest.mark.parametrize("body", FOREIGN_PAGES.values(), ids=FOREIGN_PAGES.keys())
def test_any_page_is_answered_as_the_model_answers_it(body: bytes) -> None:
    session = _session(body)
    assert _outcome(session, light=True) == _outcome(session, light=False)


def test_a_page_the_light_reading_refuses_is_read_as_plain_json() -> None:
    request = _search_page_request()
    body = _page(_item(ID + ',"create_time":"1001"', '{"phase":"Running","tasks":["worker-0"]}'))
    data = interpret(request, httpx.Response(200, content=body)).data
    assert data == json.loads(body)  # every field, as sent: the model judges the item
    with pytest.raises(ValueError, match="create_time"):
        read_light_v2_search_page(body)


def test_errors_keep_their_code_and_request_id() -> None:
    body = b'{"error_code":"ModelArts.2775","error_msg":"no such job","request_id":"r-1","items":[]}'
    request = _search_page_request()
    with pytest.raises(ModelArtsApiError) as raised:
        interpret(request, httpx.Response(400, content=body))
    assert (raised.value.error_code, raised.value.request_id) == ("ModelArts.2775", "r-1")
    assert "no such job" in str(raised.value)
    with pytest.raises(ModelArtsResponseError):
        interpret(request, httpx.Response(200, content=b"<html>not json</html>"))
