"""The spec checker itself, against DigitalOcean's real spec file and made-up exchanges (no
server): what it passes, what it fails, and what it counts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.support.spec import Outcome, Spec, Tally

JSON = "application/json"
TAG = {"tag": {"name": "web", "resources": {"count": 0, "last_tagged_uri": ""}}}
NOT_FOUND = {"id": "not_found", "message": "The resource you were accessing could not be found."}


@pytest.fixture
def checker(spec: Spec) -> Spec:
    """The session's spec with a tally of its own: these exchanges are not the suite's."""
    return spec.with_tally(Tally())


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_a_valid_response_passes_and_is_counted(checker: Spec) -> None:
    outcome = checker.check("GET", "/v2/tags/web", 200, JSON, body(TAG))
    assert outcome is Outcome.VALIDATED
    assert checker.check("GET", "/v2/tags/nope/", 404, JSON, body(NOT_FOUND)) is Outcome.VALIDATED
    assert checker.tally.responses == {"tags_get": 2}
    assert checker.tally.requests.total() == 0
    assert "2 responses and 0 request bodies validated over 1 operations" in (
        checker.tally.summary()
    )


def test_a_field_of_the_wrong_type_fails(checker: Spec) -> None:
    wrong = {"tag": {**TAG["tag"], "resources": {"count": "none"}}}
    with pytest.raises(AssertionError, match=r"at tag/resources/count: 'none' is not of type"):
        checker.check("GET", "/v2/tags/web", 200, JSON, body(wrong))
    assert checker.tally.responses.total() == 0


def test_an_undeclared_status_or_content_type_fails(checker: Spec) -> None:
    with pytest.raises(AssertionError, match="status 202 is not declared"):
        checker.check("GET", "/v2/tags/web", 202, JSON, body(TAG))
    with pytest.raises(AssertionError, match="content type 'text/html'"):
        checker.check("GET", "/v2/tags/web", 200, "text/html", b"<p>")


def test_an_undocumented_method_on_a_documented_path_fails_unless_refused(checker: Spec) -> None:
    documents = re.escape("documents /v2/tags/{tag_id} for DELETE, GET only")
    with pytest.raises(AssertionError, match=documents):
        checker.check("PATCH", "/v2/tags/web", 200, JSON, body(TAG))
    # Below a documented path, too: DigitalOcean has nothing there.
    with pytest.raises(AssertionError, match="must be refused with 404 or 405"):
        checker.check("GET", "/v2/tags/web/colour", 200, JSON, body({}))
    refused = {"id": "method_not_allowed", "message": "PATCH is not allowed here"}
    assert checker.check("PATCH", "/v2/tags/web", 405, JSON, body(refused)) is Outcome.REFUSED
    assert checker.check("GET", "/v2/tags/web/colour", 404, JSON, body(NOT_FOUND)) is (
        Outcome.REFUSED
    )
    # A refusal is still an error of the spec's shape.
    with pytest.raises(AssertionError, match="at message"):
        checker.check("PATCH", "/v2/tags/web", 405, JSON, body({"message": ["no"]}))
    assert checker.tally.refused == {"PATCH /v2/tags/{tag_id}": 1, "GET /v2/tags/{tag_id}": 1}
    assert checker.tally.responses.total() == 0


def test_paths_that_are_not_digitaloceans_are_not_checked(checker: Spec) -> None:
    for path in ("/_localocean/info", "/docs", "/openapi.json", "/v2/nothing-here"):
        outcome = checker.check("GET", path, 200, "text/html", b"<html>")
        assert outcome is Outcome.NOT_DIGITALOCEAN, path
    assert checker.tally == Tally(seconds=checker.tally.seconds)


def test_a_501_is_counted_as_not_implemented(checker: Spec) -> None:
    unbuilt = {"id": "not_implemented", "message": "/v2/droplets is not implemented by LocalOcean"}
    outcome = checker.check("GET", "/v2/droplets", 501, JSON, body(unbuilt))
    assert outcome is Outcome.NOT_IMPLEMENTED
    assert checker.check("POST", "/v2/droplets/7/actions", 501, JSON, body(unbuilt)) is (
        Outcome.NOT_IMPLEMENTED
    )
    assert checker.tally.not_implemented == {"droplets_list": 1, "dropletActions_post": 1}
    assert checker.tally.responses.total() == 0
    assert "2 answers not implemented (501) over 2 operations" in checker.tally.summary()


def test_an_invalid_request_body_fails_only_when_it_succeeded(checker: Spec) -> None:
    sent = body({"name": 42})
    with pytest.raises(AssertionError, match=r"request body does not match the spec:\n  at name"):
        checker.check("POST", "/v2/tags", 201, JSON, body(TAG), sent, JSON)
    refused = {"id": "unprocessable_entity", "message": "name must be a string"}
    assert checker.check("POST", "/v2/tags", 422, JSON, body(refused), sent, JSON) is (
        Outcome.VALIDATED
    )
    assert checker.tally.requests.total() == 0
    checker.check("POST", "/v2/tags", 201, JSON, body(TAG), body({"name": "web"}), JSON)
    assert checker.tally.requests == {"tags_create": 1}


def test_request_bodies_get_localoceans_documented_tolerances(checker: Spec) -> None:
    created = {"image": {"id": 1, "name": "x", "distribution": "Unknown", "status": "NEW"}}
    custom = {"name": "x", "url": "http://host/x.img", "region": "nyc3"}
    # `distribution`'s own description lets requests carry any value; responses may not.
    exotic = body({**custom, "distribution": "TempleOS"})
    checker.check("POST", "/v2/images", 202, JSON, body(created), exotic, JSON)
    wrong = {"image": {**created["image"], "distribution": "TempleOS"}}
    with pytest.raises(AssertionError, match="'TempleOS' is not one of"):
        checker.check("POST", "/v2/images", 202, JSON, body(wrong), exotic, JSON)
    # `null` means "not given", whatever the Content-Type: but a required field stays required.
    nulls = body({**custom, "description": None, "tags": None})
    checker.check("POST", "/v2/images", 202, JSON, body(created), nulls, "text/plain")
    with pytest.raises(AssertionError, match="'url' is a required property"):
        no_url = body({**custom, "url": None})
        checker.check("POST", "/v2/images", 202, JSON, body(created), no_url, JSON)
    assert checker.tally.requests == {"images_create_custom": 2}


def test_operation_ids_are_the_areas_localocean_serves(spec: Spec) -> None:
    assert {"images_list", "kubernetes_create_cluster", "vpcs_create", "tags_delete"} <= (
        spec.operation_ids
    )
    assert {"sshKeys_list", "sshKeys_update"} <= spec.operation_ids
    assert {"droplets_create", "dropletActions_post", "snapshots_get"} <= spec.operation_ids
    assert {"volumes_list", "volumeActions_post", "volumeSnapshots_get_byId"} <= spec.operation_ids
    assert "domains_list" in spec.operation_ids
    assert "vpcs_list_peerings" not in spec.operation_ids
