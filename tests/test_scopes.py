"""Every DigitalOcean operation LocalOcean serves asks for exactly the spec's scopes."""

from __future__ import annotations

import httpx


def test_route_scopes_match_the_spec(server, spec) -> None:
    ours = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    served = {
        operation["operationId"]: [
            scope for req in operation.get("security", []) for scope in req["bearer_auth"]
        ]
        for item in ours.values()
        for operation in item.values()
    }
    listed = httpx.get(f"{server.url}/_localocean/info").json()["capabilities"]["operations"]
    assert {op["operation_id"]: op["scopes"] for op in listed} == {
        op_id: scopes
        for op_id, scopes in served.items()
        if op_id in {o["operation_id"] for o in listed}
    }
    compared = 0
    for *_, operation in spec.operations:
        operation_id = operation["operationId"]
        if operation_id not in served:
            continue
        declared = sorted({s for req in operation.get("security", []) for s in req["bearer_auth"]})
        assert sorted(served[operation_id]) == declared, operation_id
        compared += 1
    assert compared >= 13  # account, actions, regions, sizes, tags and VPC reads so far
