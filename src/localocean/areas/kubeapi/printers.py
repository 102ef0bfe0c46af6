"""Objects as `meta.k8s.io/v1` Tables, with the columns kube-apiserver prints for each kind.

`kubectl get` asks for `Accept: application/json;as=Table;...` and prints whatever columns the
server sends, so the columns, their order, their priorities (1 = only with `-o wide`) and the cell
text are what make our output look like a real cluster's. The behaviour mirrors kube-apiserver
1.32's built-in printers: the server always fills the wide cells too (kubectl drops priority-1
columns itself), ages are `duration.HumanDuration` of `now - creationTimestamp`, and kinds with no
printer of their own get the generic converter's `Name`/`Created At` pair.

Custom resources use the CRD version's `additionalPrinterColumns` (`crd_columns`): `Name`, then
those columns evaluated with the small JSONPath subset CRDs use; with no columns the server shows
`Name` and a default `Age` (a `date` column).

The one entry point is `table()`; `human_duration()` is public for tests and other callers.
Pure functions of their arguments: no I/O, no clock (the caller passes `now`).
"""

from __future__ import annotations

import calendar
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["human_duration", "jsonpath_find", "parse_time", "table"]

Obj = dict[str, Any]
Cell = Any

_NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_CREATED_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate operations. "
    "Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\n"
    "Populated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_CONTAINERS_DOC = "Names of each container in the template."
_IMAGES_DOC = "Images referenced by each container in the template."


# ---------------------------------------------------------------------------------------------
# Time


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_time(value: Any) -> float | None:
    """An RFC 3339 timestamp as Unix seconds; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    m = _RFC3339.match(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    try:
        base = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    fraction = float("0" + m.group(7)) if m.group(7) else 0.0
    zone = m.group(8)
    offset = 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return base + fraction - offset


def human_duration(seconds: float) -> str:
    """`duration.HumanDuration`: about two or three significant figures of a duration."""
    whole = math.trunc(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        rest = whole % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def _since(value: Any, now: float) -> str:
    at = parse_time(value)
    if at is None:
        return "<unknown>"
    return human_duration(now - at)


def _created_at(obj: Obj) -> str:
    at = parse_time(_get(obj, "metadata", "creationTimestamp"))
    if at is None:
        return "0001-01-01T00:00:00Z"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.floor(at)))


# ---------------------------------------------------------------------------------------------
# Reading loosely-typed JSON


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return default


def _name(obj: Obj) -> str:
    return _str(_get(obj, "metadata", "name"))


def _age(obj: Obj, now: float) -> str:
    return _since(_get(obj, "metadata", "creationTimestamp"), now)


def _go_float(value: float) -> str:
    """A float as Go's `%v` prints it (shortest form; exponent from 1e21 or below 1e-4)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        exp = int(exponent)
        if -4 <= exp < 21:
            return format(value, "f").rstrip("0").rstrip(".")
        return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return text


def _quantity(value: Any) -> str:
    """A resource quantity as text (stored quantities are already canonical strings)."""
    if value is None:
        return "0"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    return "0"


def _int_or_string(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    return ""


def _format_labels(labels: Any) -> str:
    pairs = sorted(f"{k}={v}" for k, v in _dict(labels).items())
    return ",".join(pairs) if pairs else "<none>"


def _selector_string(selector: Any) -> str | None:
    """A LabelSelector as `labels.Selector.String()`; None for a nil selector."""
    if not isinstance(selector, dict):
        return None
    requirements: list[tuple[str, str]] = []
    for key, value in _dict(selector.get("matchLabels")).items():
        requirements.append((str(key), f"{key}={value}"))
    for expr in _list(selector.get("matchExpressions")):
        expr = _dict(expr)
        key = _str(expr.get("key"))
        values = sorted(str(v) for v in _list(expr.get("values")))
        joined = values[0] if len(values) == 1 else ",".join(values)
        operator = expr.get("operator")
        if operator == "In":
            text = f"{key} in ({joined})"
        elif operator == "NotIn":
            text = f"{key} notin ({joined})"
        elif operator == "Exists":
            text = key
        elif operator == "DoesNotExist":
            text = f"!{key}"
        else:
            return "<error>"
        requirements.append((key, text))
    requirements.sort(key=lambda item: item[0])
    return ",".join(text for _, text in requirements)


def _format_selector(selector: Any) -> str:
    """`metav1.FormatLabelSelector`: `<none>` for a nil or empty selector."""
    text = _selector_string(selector)
    return text if text else "<none>"


def _containers(template_spec: Any) -> tuple[str, str]:
    containers = [_dict(c) for c in _list(_get(template_spec, "containers"))]
    names = ",".join(_str(c.get("name")) for c in containers)
    images = ",".join(_str(c.get("image")) for c in containers)
    return names, images


def _first_condition(conditions: Any, kind: str) -> Obj | None:
    for condition in _list(conditions):
        if isinstance(condition, dict) and condition.get("type") == kind:
            return condition
    return None


def _condition_true(conditions: Any, kind: str) -> bool:
    found = _first_condition(conditions, kind)
    return found is not None and found.get("status") == "True"


def _bool_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return "<unset>"


def _more(items: list[str], count: int, limit: int, empty: str) -> str:
    text = ",".join(items)
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text if text else empty


# ---------------------------------------------------------------------------------------------
# Columns and printers


def _col(
    name: str,
    kind: str = "string",
    description: str = "",
    *,
    priority: int = 0,
    fmt: str = "",
) -> Obj:
    return {
        "name": name,
        "type": kind,
        "format": fmt,
        "description": description,
        "priority": priority,
    }


def _name_col() -> Obj:
    return _col("Name", "string", _NAME_DOC, fmt="name")


def _age_col() -> Obj:
    return _col("Age", "string", _CREATED_DOC)


RowFn = Callable[[Obj, float], list[Cell]]
ConditionsFn = Callable[[Obj], list[Obj]]


@dataclass(frozen=True)
class _Printer:
    columns: tuple[Obj, ...]
    cells: RowFn
    conditions: ConditionsFn | None = None


_PRINTERS: dict[tuple[str, str], _Printer] = {}


def _printer(
    keys: Iterable[tuple[str, str]],
    columns: list[Obj],
    conditions: ConditionsFn | None = None,
) -> Callable[[RowFn], RowFn]:
    def register(fn: RowFn) -> RowFn:
        for key in keys:
            _PRINTERS[key] = _Printer(tuple(columns), fn, conditions)
        return fn

    return register


# --- pods --------------------------------------------------------------------------------------


def _pod_conditions(pod: Obj) -> list[Obj]:
    phase = _get(pod, "status", "phase")
    if phase == "Succeeded":
        message = "The pod has completed successfully."
    elif phase == "Failed":
        message = "The pod failed."
    else:
        return []
    return [{"type": "Completed", "status": "True", "reason": phase, "message": message}]


def _terminated_reason(terminated: Obj, prefix: str) -> str:
    if _str(terminated.get("reason")):
        return prefix + _str(terminated.get("reason"))
    signal = _int(terminated.get("signal"))
    if signal != 0:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{_int(terminated.get('exitCode'))}"


def _pod_status(pod: Obj) -> tuple[str, int, int, int, float | None]:
    """READY numerator/denominator, STATUS, restarts and the last restart time of a pod.

    Returned as (status, ready, total, restarts, last_restart).
    """
    spec = _dict(pod.get("spec"))
    status = _dict(pod.get("status"))
    phase = _str(status.get("phase"))
    reason = _str(status.get("reason")) or phase
    for condition in _list(status.get("conditions")):
        if (
            isinstance(condition, dict)
            and condition.get("type") == "PodScheduled"
            and condition.get("reason") == "SchedulingGated"
        ):
            reason = "SchedulingGated"

    init_specs = [_dict(c) for c in _list(spec.get("initContainers"))]
    sidecars = {_str(c.get("name")) for c in init_specs if _str(c.get("restartPolicy")) == "Always"}
    total = len(_list(spec.get("containers"))) + len(sidecars)
    ready = 0
    restarts = 0
    sidecar_restarts = 0
    last_restart: float | None = None
    last_sidecar_restart: float | None = None

    def later(a: float | None, b: float | None) -> float | None:
        if b is None:
            return a
        return b if a is None or a < b else a

    initializing = False
    for index, raw in enumerate(_list(status.get("initContainerStatuses"))):
        cs = _dict(raw)
        count = _int(cs.get("restartCount"))
        finished = parse_time(_get(cs, "lastState", "terminated", "finishedAt"))
        restarts += count
        last_restart = later(last_restart, finished)
        is_sidecar = _str(cs.get("name")) in sidecars
        if is_sidecar:
            sidecar_restarts += count
            last_sidecar_restart = later(last_sidecar_restart, finished)
        state = _dict(cs.get("state"))
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if isinstance(terminated, dict) and _int(terminated.get("exitCode")) == 0:
            continue
        if is_sidecar and cs.get("started") is True:
            if cs.get("ready") is True:
                ready += 1
            continue
        if isinstance(terminated, dict):
            reason = _terminated_reason(terminated, "Init:")
        elif (
            isinstance(waiting, dict)
            and _str(waiting.get("reason"))
            and waiting.get("reason") != "PodInitializing"
        ):
            reason = "Init:" + _str(waiting.get("reason"))
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status.get("conditions"), "Initialized"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        running = False
        for raw in reversed(_list(status.get("containerStatuses"))):
            cs = _dict(raw)
            restarts += _int(cs.get("restartCount"))
            last_restart = later(
                last_restart, parse_time(_get(cs, "lastState", "terminated", "finishedAt"))
            )
            state = _dict(cs.get("state"))
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if isinstance(waiting, dict) and _str(waiting.get("reason")):
                reason = _str(waiting.get("reason"))
            elif isinstance(terminated, dict):
                reason = _terminated_reason(terminated, "")
            elif cs.get("ready") is True and isinstance(state.get("running"), dict):
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(status.get("conditions"), "Ready") else "NotReady"

    deleting = _get(pod, "metadata", "deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


@_printer(
    [("", "pods")],
    [
        _name_col(),
        _col(
            "Ready", description="The aggregate readiness state of this pod for accepting traffic."
        ),
        _col("Status", description="The aggregate status of the containers in this pod."),
        _col(
            "Restarts",
            description="The number of times the containers in this pod have been restarted "
            "and when the last container in this pod has restarted.",
        ),
        _age_col(),
        _col("IP", description="IP address allocated to the pod.", priority=1),
        _col("Node", description="The node the pod is scheduled onto.", priority=1),
        _col("Nominated Node", description="The node the pod may be preempted onto.", priority=1),
        _col(
            "Readiness Gates",
            description="Readiness gates that evaluate to true, out of all.",
            priority=1,
        ),
    ],
    conditions=_pod_conditions,
)
def _pod(pod: Obj, now: float) -> list[Cell]:
    reason, ready, total, restarts, last_restart = _pod_status(pod)
    restarts_text = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    status = _dict(pod.get("status"))
    pod_ip = ""
    ips = _list(status.get("podIPs"))
    if ips:
        pod_ip = _str(_get(ips[0], "ip"))
    elif _str(status.get("podIP")):
        pod_ip = _str(status.get("podIP"))
    gates = _list(_get(pod, "spec", "readinessGates"))
    gates_text = "<none>"
    if gates:
        passed = 0
        for gate in gates:
            found = _first_condition(status.get("conditions"), _str(_get(gate, "conditionType")))
            if found is not None and found.get("status") == "True":
                passed += 1
        gates_text = f"{passed}/{len(gates)}"
    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts_text,
        _age(pod, now),
        pod_ip or "<none>",
        _str(_get(pod, "spec", "nodeName")) or "<none>",
        _str(status.get("nominatedNodeName")) or "<none>",
        gates_text,
    ]


@_printer(
    [("", "podtemplates")],
    [
        _name_col(),
        _col("Containers", description=_CONTAINERS_DOC),
        _col("Images", description=_IMAGES_DOC),
        _col("Pod Labels", description="The labels for the pod template."),
    ],
)
def _pod_template(obj: Obj, now: float) -> list[Cell]:
    names, images = _containers(_get(obj, "template", "spec"))
    return [_name(obj), names, images, _format_labels(_get(obj, "template", "metadata", "labels"))]


# --- nodes -------------------------------------------------------------------------------------


def _node_roles(labels: Any) -> str:
    roles: set[str] = set()
    for key, value in _dict(labels).items():
        if key.startswith("node-role.kubernetes.io/"):
            role = key[len("node-role.kubernetes.io/") :]
            if role:
                roles.add(role)
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    return ",".join(sorted(roles)) or "<none>"


def _node_address(node: Obj, kind: str) -> str:
    for address in _list(_get(node, "status", "addresses")):
        if _get(address, "type") == kind:
            return _str(_get(address, "address"))
    return "<none>"


@_printer(
    [("", "nodes")],
    [
        _name_col(),
        _col("Status", description="The status of the node"),
        _col("Roles", description="The roles of the node"),
        _age_col(),
        _col("Version", description="Kubelet Version reported by the node."),
        _col("Internal-IP", description="The node's internal IP address.", priority=1),
        _col("External-IP", description="The node's external IP address.", priority=1),
        _col("OS-Image", description="OS Image reported by the node.", priority=1),
        _col("Kernel-Version", description="Kernel Version reported by the node.", priority=1),
        _col(
            "Container-Runtime",
            description="ContainerRuntime Version reported by the node.",
            priority=1,
        ),
    ],
)
def _node(node: Obj, now: float) -> list[Cell]:
    ready = None
    for condition in _list(_get(node, "status", "conditions")):
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            ready = condition  # the last one wins, as in the real printer
    if ready is None:
        states = ["Unknown"]
    else:
        states = ["Ready" if ready.get("status") == "True" else "NotReady"]
    if _get(node, "spec", "unschedulable") is True:
        states.append("SchedulingDisabled")
    info = _dict(_get(node, "status", "nodeInfo"))
    return [
        _name(node),
        ",".join(states),
        _node_roles(_get(node, "metadata", "labels")),
        _age(node, now),
        _str(info.get("kubeletVersion")),
        _node_address(node, "InternalIP"),
        _node_address(node, "ExternalIP"),
        _str(info.get("osImage")) or "<unknown>",
        _str(info.get("kernelVersion")) or "<unknown>",
        _str(info.get("containerRuntimeVersion")) or "<unknown>",
    ]


# --- namespaces, config ------------------------------------------------------------------------


@_printer(
    [("", "namespaces")],
    [_name_col(), _col("Status", description="The status of the namespace"), _age_col()],
)
def _namespace(obj: Obj, now: float) -> list[Cell]:
    return [_name(obj), _str(_get(obj, "status", "phase")), _age(obj, now)]


@_printer(
    [("", "configmaps")],
    [_name_col(), _col("Data", description="Number of data entries."), _age_col()],
)
def _configmap(obj: Obj, now: float) -> list[Cell]:
    count = len(_dict(obj.get("data"))) + len(_dict(obj.get("binaryData")))
    return [_name(obj), count, _age(obj, now)]


@_printer(
    [("", "secrets")],
    [
        _name_col(),
        _col("Type", description="Used to facilitate programmatic handling of secret data."),
        _col("Data", description="Number of data entries."),
        _age_col(),
    ],
)
def _secret(obj: Obj, now: float) -> list[Cell]:
    data = set(_dict(obj.get("data"))) | set(_dict(obj.get("stringData")))
    return [_name(obj), _str(obj.get("type")) or "Opaque", len(data), _age(obj, now)]


@_printer(
    [("", "serviceaccounts")],
    [_name_col(), _col("Secrets", description="Number of secrets listed."), _age_col()],
)
def _service_account(obj: Obj, now: float) -> list[Cell]:
    return [_name(obj), len(_list(obj.get("secrets"))), _age(obj, now)]


# --- services and endpoints --------------------------------------------------------------------


def _lb_ingress(status: Any) -> str:
    found: set[str] = set()
    for entry in _list(_get(status, "loadBalancer", "ingress")):
        ip, host = _str(_get(entry, "ip")), _str(_get(entry, "hostname"))
        if ip:
            found.add(ip)
        elif host:
            found.add(host)
    return ",".join(sorted(found))


def _service_external_ip(svc: Obj, kind: str) -> str:
    external = [str(ip) for ip in _list(_get(svc, "spec", "externalIPs"))]
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if kind == "LoadBalancer":
        lb = _lb_ingress(svc.get("status"))
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + external)
        return lb or "<pending>"
    if kind == "ExternalName":
        return _str(_get(svc, "spec", "externalName"))
    return "<unknown>"


def _service_ports(ports: Any) -> str:
    pieces = []
    for raw in _list(ports):
        port = _dict(raw)
        protocol = _str(port.get("protocol")) or "TCP"
        node_port = _int(port.get("nodePort"))
        if node_port > 0:
            pieces.append(f"{_int(port.get('port'))}:{node_port}/{protocol}")
        else:
            pieces.append(f"{_int(port.get('port'))}/{protocol}")
    return ",".join(pieces) or "<none>"


@_printer(
    [("", "services")],
    [
        _name_col(),
        _col("Type", description="How the Service is exposed."),
        _col("Cluster-IP", description="The IP address of the service."),
        _col("External-IP", description="External IP addresses the service is reachable at."),
        _col("Port(s)", description="The list of ports that are exposed by this service."),
        _age_col(),
        _col("Selector", description="Labels of the pods the service routes to.", priority=1),
    ],
)
def _service(svc: Obj, now: float) -> list[Cell]:
    spec = _dict(svc.get("spec"))
    kind = _str(spec.get("type")) or "ClusterIP"
    cluster_ips = _list(spec.get("clusterIPs"))
    cluster_ip = str(cluster_ips[0]) if cluster_ips else _str(spec.get("clusterIP")) or "<none>"
    return [
        _name(svc),
        kind,
        cluster_ip,
        _service_external_ip(svc, kind),
        _service_ports(spec.get("ports")),
        _age(svc, now),
        _format_labels(spec.get("selector")),
    ]


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@_printer(
    [("", "endpoints")],
    [_name_col(), _col("Endpoints", description="The set of addresses and ports."), _age_col()],
)
def _endpoints(obj: Obj, now: float) -> list[Cell]:
    subsets = _list(obj.get("subsets"))
    if not subsets:
        return [_name(obj), "<none>", _age(obj, now)]
    shown: list[str] = []
    count = 0
    limit = 3
    for raw in subsets:
        subset = _dict(raw)
        addresses = [_str(_get(a, "ip")) for a in _list(subset.get("addresses"))]
        ports = _list(subset.get("ports"))
        if not ports:
            count += len(addresses)
            shown.extend(addresses[: max(0, limit - len(shown))])
            continue
        for port in ports:
            count += len(addresses)
            for ip in addresses:
                if len(shown) == limit:
                    break
                shown.append(_host_port(ip, _int(_get(port, "port"))))
    text = ",".join(shown)
    if count > limit:
        text = f"{text} + {count - limit} more..."
    return [_name(obj), text, _age(obj, now)]


@_printer(
    [("discovery.k8s.io", "endpointslices")],
    [
        _name_col(),
        _col("AddressType", description="The type of address carried by this EndpointSlice."),
        _col("Ports", description="The network ports exposed by each endpoint."),
        _col("Endpoints", description="A list of unique endpoints in this slice."),
        _age_col(),
    ],
)
def _endpoint_slice(obj: Obj, now: float) -> list[Cell]:
    ports = []
    for raw in _list(obj.get("ports")):
        port = _dict(raw)
        if isinstance(port.get("port"), int) and not isinstance(port.get("port"), bool):
            ports.append(str(port["port"]))
        elif isinstance(port.get("name"), str):
            ports.append(port["name"])
        else:
            ports.append("*")
    addresses = [
        str(address)
        for endpoint in _list(obj.get("endpoints"))
        for address in _list(_get(endpoint, "addresses"))
    ]
    return [
        _name(obj),
        _str(obj.get("addressType")),
        _more(ports[:3], len(ports), 3, "<unset>"),
        _more(addresses[:3], len(addresses), 3, "<unset>"),
        _age(obj, now),
    ]


# --- workloads ---------------------------------------------------------------------------------


_WIDE_TEMPLATE = [
    _col("Containers", description=_CONTAINERS_DOC, priority=1),
    _col("Images", description=_IMAGES_DOC, priority=1),
    _col("Selector", description="Label query over the pods managed.", priority=1),
]


@_printer(
    [("apps", "deployments")],
    [
        _name_col(),
        _col("Ready", description="Number of the pod with ready state"),
        _col(
            "Up-to-date",
            description="Total number of non-terminated pods with the desired template.",
        ),
        _col("Available", description="Total number of available pods."),
        _age_col(),
        *_WIDE_TEMPLATE,
    ],
)
def _deployment(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    desired = _int(spec.get("replicas"), 1)
    names, images = _containers(_get(spec, "template", "spec"))
    selector = _selector_string(spec.get("selector"))
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{desired}",
        _int(status.get("updatedReplicas")),
        _int(status.get("availableReplicas")),
        _age(obj, now),
        names,
        images,
        selector if selector is not None else "",
    ]


@_printer(
    [("apps", "replicasets")],
    [
        _name_col(),
        _col("Desired", "integer", "Number of desired pods."),
        _col("Current", "integer", "The most recently observed number of replicas."),
        _col("Ready", "integer", "The number of ready replicas."),
        _age_col(),
        *_WIDE_TEMPLATE,
    ],
)
def _replica_set(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    names, images = _containers(_get(spec, "template", "spec"))
    return [
        _name(obj),
        _int(spec.get("replicas"), 1),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _age(obj, now),
        names,
        images,
        _format_selector(spec.get("selector")),
    ]


@_printer(
    [("", "replicationcontrollers")],
    [
        _name_col(),
        _col("Desired", "integer", "Number of desired pods."),
        _col("Current", "integer", "The most recently observed number of replicas."),
        _col("Ready", "integer", "The number of ready replicas."),
        _age_col(),
        *_WIDE_TEMPLATE,
    ],
)
def _replication_controller(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    names, images = _containers(_get(spec, "template", "spec"))
    return [
        _name(obj),
        _int(spec.get("replicas"), 1),
        _int(status.get("replicas")),
        _int(status.get("readyReplicas")),
        _age(obj, now),
        names,
        images,
        _format_labels(spec.get("selector")),
    ]


@_printer(
    [("apps", "statefulsets")],
    [
        _name_col(),
        _col("Ready", description="Number of the pod with ready state"),
        _age_col(),
        *_WIDE_TEMPLATE[:2],
    ],
)
def _stateful_set(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    names, images = _containers(_get(spec, "template", "spec"))
    return [
        _name(obj),
        f"{_int(status.get('readyReplicas'))}/{_int(spec.get('replicas'), 1)}",
        _age(obj, now),
        names,
        images,
    ]


@_printer(
    [("apps", "daemonsets")],
    [
        _name_col(),
        _col("Desired", "integer", "The total number of nodes that should be running the pod."),
        _col("Current", "integer", "The number of nodes running at least one pod."),
        _col("Ready", "integer", "The number of nodes with a ready pod."),
        _col("Up-to-date", "integer", "The number of nodes running the updated pod."),
        _col("Available", "integer", "The number of nodes with an available pod."),
        _col("Node Selector", description="The node selector of the pod template."),
        _age_col(),
        *_WIDE_TEMPLATE,
    ],
)
def _daemon_set(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    names, images = _containers(_get(spec, "template", "spec"))
    return [
        _name(obj),
        _int(status.get("desiredNumberScheduled")),
        _int(status.get("currentNumberScheduled")),
        _int(status.get("numberReady")),
        _int(status.get("updatedNumberScheduled")),
        _int(status.get("numberAvailable")),
        _format_labels(_get(spec, "template", "spec", "nodeSelector")),
        _age(obj, now),
        names,
        images,
        _format_selector(spec.get("selector")),
    ]


def _job_status(obj: Obj) -> str:
    conditions = _get(obj, "status", "conditions")
    if _condition_true(conditions, "Complete"):
        return "Complete"
    if _condition_true(conditions, "Failed"):
        return "Failed"
    if _get(obj, "metadata", "deletionTimestamp") is not None:
        return "Terminating"
    if _condition_true(conditions, "Suspended"):
        return "Suspended"
    if _condition_true(conditions, "FailureTarget"):
        return "FailureTarget"
    return "Running"


@_printer(
    [("batch", "jobs")],
    [
        _name_col(),
        _col("Status", description="Status of the job."),
        _col("Completions", description="The number of pods which reached phase Succeeded."),
        _col("Duration", description="Time required to complete the job."),
        _age_col(),
        *_WIDE_TEMPLATE,
    ],
)
def _job(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    succeeded = _int(status.get("succeeded"))
    if isinstance(spec.get("completions"), int):
        completions = f"{succeeded}/{_int(spec.get('completions'))}"
    else:
        parallelism = _int(spec.get("parallelism"))
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    started = parse_time(status.get("startTime"))
    finished = parse_time(status.get("completionTime"))
    if started is None:
        duration = ""
    elif finished is None:
        duration = human_duration(now - started)
    else:
        duration = human_duration(finished - started)
    names, images = _containers(_get(spec, "template", "spec"))
    return [
        _name(obj),
        _job_status(obj),
        completions,
        duration,
        _age(obj, now),
        names,
        images,
        _format_selector(spec.get("selector")),
    ]


@_printer(
    [("batch", "cronjobs")],
    [
        _name_col(),
        _col("Schedule", description="The schedule in Cron format."),
        _col("Timezone", description="The time zone name for the given schedule."),
        _col("Suspend", "boolean", "Whether subsequent executions are suspended."),
        _col("Active", "integer", "Number of currently running jobs."),
        _col("Last Schedule", description="When the job was last successfully scheduled."),
        _age_col(),
        *_WIDE_TEMPLATE,
    ],
)
def _cron_job(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    last = "<none>"
    if status.get("lastScheduleTime") is not None:
        last = _since(status.get("lastScheduleTime"), now)
    suspend = spec.get("suspend")
    job_spec = _get(spec, "jobTemplate", "spec")
    names, images = _containers(_get(job_spec, "template", "spec"))
    return [
        _name(obj),
        _str(spec.get("schedule")),
        _str(spec.get("timeZone")) or "<none>",
        _bool_text(False if suspend is None else suspend),
        len(_list(status.get("active"))),
        last,
        _age(obj, now),
        names,
        images,
        _format_selector(_get(job_spec, "selector")),
    ]


@_printer(
    [("apps", "controllerrevisions")],
    [
        _name_col(),
        _col("Controller", description="Controller of the object"),
        _col("Revision", description="Revision indicates the revision of the state."),
        _age_col(),
    ],
)
def _controller_revision(obj: Obj, now: float) -> list[Cell]:
    controller = "<none>"
    for ref in _list(_get(obj, "metadata", "ownerReferences")):
        if isinstance(ref, dict) and ref.get("controller") is True:
            api_version = _str(ref.get("apiVersion"))
            group = api_version.split("/")[0] if "/" in api_version else ""
            kind = _str(ref.get("kind"))
            group_kind = f"{kind}.{group}" if group else kind
            name = _str(ref.get("name"))
            controller = f"{group_kind.lower()}/{name}" if group_kind else name
            break
    return [_name(obj), controller, _int(obj.get("revision")), _age(obj, now)]


@_printer(
    [("policy", "poddisruptionbudgets")],
    [
        _name_col(),
        _col("Min Available", description="The minimum number of pods that must be available."),
        _col("Max Unavailable", description="The maximum number of pods that may be unavailable."),
        _col(
            "Allowed Disruptions",
            "integer",
            "Calculated number of pods that may be disrupted at this time.",
        ),
        _age_col(),
    ],
)
def _pdb(obj: Obj, now: float) -> list[Cell]:
    spec = _dict(obj.get("spec"))
    low = _int_or_string(spec["minAvailable"]) if spec.get("minAvailable") is not None else "N/A"
    high = (
        _int_or_string(spec["maxUnavailable"]) if spec.get("maxUnavailable") is not None else "N/A"
    )
    allowed = _int(_get(obj, "status", "disruptionsAllowed"))
    return [_name(obj), low, high, allowed, _age(obj, now)]


def _hpa_metric(spec: Obj, status: Obj | None) -> str:
    kind = _str(spec.get("type"))
    if kind == "External" or kind == "Object":
        key = "external" if kind == "External" else "object"
        target = _dict(_get(spec, key, "target"))
        has_status = status is not None and isinstance(status.get(key), dict)
        observed = _dict(_get(status, key, "current"))
        current = "<unknown>"
        if target.get("averageValue") is not None:
            if has_status and observed.get("averageValue") is not None:
                current = _quantity(observed.get("averageValue"))
            return f"{current}/{_quantity(target.get('averageValue'))} (avg)"
        if has_status:
            current = _quantity(observed.get("value"))
        return f"{current}/{_quantity(target.get('value'))}"
    if kind == "Pods":
        target = _dict(_get(spec, "pods", "target"))
        current = "<unknown>"
        if status is not None and isinstance(status.get("pods"), dict):
            current = _quantity(_get(status, "pods", "current", "averageValue"))
        return f"{current}/{_quantity(target.get('averageValue'))}"
    if kind in ("Resource", "ContainerResource"):
        key = "resource" if kind == "Resource" else "containerResource"
        block = _dict(spec.get(key))
        target = _dict(block.get("target"))
        name = _str(block.get("name"))
        observed = _dict(status.get(key)) if status is not None else {}
        has_status = status is not None and isinstance(status.get(key), dict)
        if target.get("averageValue") is not None:
            current = "<unknown>"
            if has_status:
                current = _quantity(_get(observed, "current", "averageValue"))
            return f"{name}: {current}/{_quantity(target.get('averageValue'))}"
        current = "<unknown>"
        utilization = _get(observed, "current", "averageUtilization")
        if has_status and utilization is not None:
            current = f"{_int(utilization)}%"
        goal = "<auto>"
        if target.get("averageUtilization") is not None:
            goal = f"{_int(target.get('averageUtilization'))}%"
        return f"{name}: {current}/{goal}"
    return "<unknown type>"


def _hpa_targets(obj: Obj) -> str:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    metrics = [_dict(m) for m in _list(spec.get("metrics"))]
    current = [_dict(m) for m in _list(status.get("currentMetrics"))]
    if not metrics and spec.get("targetCPUUtilizationPercentage") is not None:
        # autoscaling/v1 spells its single CPU target differently.
        metrics = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": spec["targetCPUUtilizationPercentage"],
                    },
                },
            }
        ]
        if status.get("currentCPUUtilizationPercentage") is not None:
            current = [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "current": {
                            "averageUtilization": status["currentCPUUtilizationPercentage"]
                        },
                    },
                }
            ]
    if not metrics:
        return "<none>"
    texts = [
        _hpa_metric(metric, current[i] if i < len(current) else None)
        for i, metric in enumerate(metrics)
    ]
    if len(texts) > 2:
        return f"{', '.join(texts[:2])} + {len(texts) - 2} more..."
    return ", ".join(texts)


@_printer(
    [("autoscaling", "horizontalpodautoscalers")],
    [
        _name_col(),
        _col("Reference", description="The scale target."),
        _col("Targets", description="The metrics used to calculate the desired replica count."),
        _col("MinPods", description="The lower limit for the number of replicas."),
        _col("MaxPods", description="The upper limit for the number of replicas."),
        _col("Replicas", description="The current number of replicas."),
        _age_col(),
    ],
)
def _hpa(obj: Obj, now: float) -> list[Cell]:
    spec = _dict(obj.get("spec"))
    ref = _dict(spec.get("scaleTargetRef"))
    minimum = "<unset>"
    if spec.get("minReplicas") is not None:
        minimum = str(_int(spec.get("minReplicas")))
    return [
        _name(obj),
        f"{_str(ref.get('kind'))}/{_str(ref.get('name'))}",
        _hpa_targets(obj),
        minimum,
        _int(spec.get("maxReplicas")),
        _int(_get(obj, "status", "currentReplicas")),
        _age(obj, now),
    ]


# --- events ------------------------------------------------------------------------------------


def _event_fields(obj: Obj) -> Obj:
    """A core/v1 Event's fields, from either core/v1 or events.k8s.io/v1 JSON."""
    if "regarding" in obj or "note" in obj or "deprecatedLastTimestamp" in obj:
        return {
            "involvedObject": _dict(obj.get("regarding")),
            "message": obj.get("note"),
            "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
            "lastTimestamp": obj.get("deprecatedLastTimestamp"),
            "count": obj.get("deprecatedCount"),
            "source": _dict(obj.get("deprecatedSource")),
            "eventTime": obj.get("eventTime"),
            "series": obj.get("series"),
            "reportingController": obj.get("reportingController"),
            "reportingInstance": obj.get("reportingInstance"),
            "type": obj.get("type"),
            "reason": obj.get("reason"),
        }
    return obj


@_printer(
    [("", "events"), ("events.k8s.io", "events")],
    [
        _col("Last Seen", description="The time at which the most recent occurrence was recorded."),
        _col("Type", description="Type of this event (Normal, Warning)."),
        _col("Reason", description="Short, machine understandable reason for the event."),
        _col("Object", description="The object that this event is about."),
        _col("Subobject", description="The field of the object involved.", priority=1),
        _col("Source", description="The component reporting this event.", priority=1),
        _col("Message", description="A human-readable description of the event."),
        _col(
            "First Seen", description="The time at which the event was first recorded.", priority=1
        ),
        _col("Count", description="The number of times this event has occurred.", priority=1),
        _col("Name", description=_NAME_DOC, priority=1, fmt="name"),
    ],
)
def _event(raw: Obj, now: float) -> list[Cell]:
    ev = _event_fields(raw)
    if parse_time(ev.get("firstTimestamp")) is not None:
        first = _since(ev.get("firstTimestamp"), now)
    else:
        first = _since(ev.get("eventTime"), now)
    last = first
    if parse_time(ev.get("lastTimestamp")) is not None:
        last = _since(ev.get("lastTimestamp"), now)
    count = _int(ev.get("count"))
    series = ev.get("series")
    if isinstance(series, dict):
        last = _since(series.get("lastObservedTime"), now)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1
    involved = _dict(ev.get("involvedObject"))
    kind = _str(involved.get("kind")).lower()
    target = f"{kind}/{involved['name']}" if _str(involved.get("name")) else kind
    source = _dict(ev.get("source"))
    component = _str(source.get("component")) or _str(ev.get("reportingController"))
    host = _str(source.get("host")) or _str(ev.get("reportingInstance"))
    return [
        last,
        _str(ev.get("type")),
        _str(ev.get("reason")),
        target,
        _str(involved.get("fieldPath")),
        f"{component}, {host}" if host else component,
        _str(ev.get("message")).strip(),
        first,
        count,
        _name(raw),
    ]


# --- storage -----------------------------------------------------------------------------------


def _access_modes(modes: Any) -> str:
    present = {str(m) for m in _list(modes)}
    order = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    return ",".join(short for mode, short in order if mode in present)


_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"


def _volume_class(obj: Obj) -> str:
    annotations = _dict(_get(obj, "metadata", "annotations"))
    if _BETA_CLASS in annotations:
        return _str(annotations[_BETA_CLASS])
    return _str(_get(obj, "spec", "storageClassName"))


@_printer(
    [("", "persistentvolumes")],
    [
        _name_col(),
        _col("Capacity", description="The capacity of the volume."),
        _col("Access Modes", description="All ways the volume can be mounted."),
        _col("Reclaim Policy", description="What happens to the volume when released."),
        _col("Status", description="The phase of the volume."),
        _col("Claim", description="The claim bound to this volume."),
        _col("StorageClass", description="StorageClass of the pv"),
        _col("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
        _col("Reason", description="Why the volume is in its phase."),
        _age_col(),
        _col("VolumeMode", description="Filesystem or Block.", priority=1),
    ],
)
def _persistent_volume(obj: Obj, now: float) -> list[Cell]:
    spec = _dict(obj.get("spec"))
    claim = ""
    if isinstance(spec.get("claimRef"), dict):
        claim = f"{_str(spec['claimRef'].get('namespace'))}/{_str(spec['claimRef'].get('name'))}"
    phase = _str(_get(obj, "status", "phase"))
    if _get(obj, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    return [
        _name(obj),
        _quantity(_get(spec, "capacity", "storage")),
        _access_modes(spec.get("accessModes")),
        _str(spec.get("persistentVolumeReclaimPolicy")),
        phase,
        claim,
        _volume_class(obj),
        _str(spec.get("volumeAttributesClassName")) or "<unset>",
        _str(_get(obj, "status", "reason")),
        _age(obj, now),
        _str(spec.get("volumeMode")) or "<unset>",
    ]


@_printer(
    [("", "persistentvolumeclaims")],
    [
        _name_col(),
        _col("Status", description="The phase of the claim."),
        _col("Volume", description="The volume bound to this claim."),
        _col("Capacity", description="The capacity of the bound volume."),
        _col("Access Modes", description="The access modes of the bound volume."),
        _col("StorageClass", description="StorageClass of the pvc"),
        _col("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
        _age_col(),
        _col("VolumeMode", description="Filesystem or Block.", priority=1),
    ],
)
def _persistent_volume_claim(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    phase = _str(status.get("phase"))
    if _get(obj, "metadata", "deletionTimestamp") is not None:
        phase = "Terminating"
    volume = _str(spec.get("volumeName"))
    capacity = modes = ""
    if volume:
        modes = _access_modes(status.get("accessModes"))
        capacity = _quantity(_get(status, "capacity", "storage"))
    annotations = _dict(_get(obj, "metadata", "annotations"))
    if _BETA_CLASS in annotations:
        klass = _str(annotations[_BETA_CLASS])
    else:
        klass = _str(spec.get("storageClassName"))
    return [
        _name(obj),
        phase,
        volume,
        capacity,
        modes,
        klass,
        _str(spec.get("volumeAttributesClassName")) or "<unset>",
        _age(obj, now),
        _str(spec.get("volumeMode")) or "<unset>",
    ]


def _is_default_class(obj: Obj) -> bool:
    annotations = _dict(_get(obj, "metadata", "annotations"))
    return (
        annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
        or annotations.get("storageclass.beta.kubernetes.io/is-default-class") == "true"
    )


@_printer(
    [("storage.k8s.io", "storageclasses")],
    [
        _name_col(),
        _col("Provisioner", description="The provisioner of this storage class."),
        _col("ReclaimPolicy", description="What happens to volumes this class provisions."),
        _col("VolumeBindingMode", description="When volumes are provisioned and bound."),
        _col("AllowVolumeExpansion", description="Whether volumes can be expanded."),
        _age_col(),
    ],
)
def _storage_class(obj: Obj, now: float) -> list[Cell]:
    name = _name(obj) + (" (default)" if _is_default_class(obj) else "")
    expansion = obj.get("allowVolumeExpansion")
    return [
        name,
        _str(obj.get("provisioner")),
        _str(obj.get("reclaimPolicy")) or "Delete",
        _str(obj.get("volumeBindingMode")) or "Immediate",
        expansion if isinstance(expansion, bool) else False,
        _age(obj, now),
    ]


@_printer(
    [("storage.k8s.io", "csinodes")],
    [
        _name_col(),
        _col(
            "Drivers",
            "integer",
            "Drivers indicates the number of CSI drivers registered on the node",
        ),
        _age_col(),
    ],
)
def _csi_node(obj: Obj, now: float) -> list[Cell]:
    return [_name(obj), len(_list(_get(obj, "spec", "drivers"))), _age(obj, now)]


@_printer(
    [("storage.k8s.io", "csidrivers")],
    [
        _name_col(),
        _col("AttachRequired", "boolean", "Whether the driver needs an attach operation."),
        _col("PodInfoOnMount", "boolean", "Whether pod information is passed on mount."),
        _col("StorageCapacity", "boolean", "Whether capacity is considered when scheduling."),
        _col("TokenRequests", description="Audiences of tokens passed to the driver."),
        _col("RequiresRepublish", "boolean", "Whether NodePublishVolume is called again."),
        _col("Modes", description="The volume lifecycle modes the driver supports."),
        _age_col(),
    ],
)
def _csi_driver(obj: Obj, now: float) -> list[Cell]:
    spec = _dict(obj.get("spec"))

    def flag(key: str, default: bool) -> bool:
        value = spec.get(key)
        return value if isinstance(value, bool) else default

    tokens = "<unset>"
    if isinstance(spec.get("tokenRequests"), list):
        tokens = ",".join(_str(_get(t, "audience")) for t in spec["tokenRequests"])
    modes = ",".join(str(m) for m in _list(spec.get("volumeLifecycleModes"))) or "<none>"
    return [
        _name(obj),
        flag("attachRequired", True),
        flag("podInfoOnMount", False),
        flag("storageCapacity", False),
        tokens,
        flag("requiresRepublish", False),
        modes,
        _age(obj, now),
    ]


@_printer(
    [("storage.k8s.io", "volumeattachments")],
    [
        _name_col(),
        _col("Attacher", description="The attacher handling this attachment.", fmt="name"),
        _col("PV", description="The persistent volume attached."),
        _col("Node", description="The node the volume is attached to."),
        _col("Attached", "boolean", "Whether the attach operation finished."),
        _age_col(),
    ],
)
def _volume_attachment(obj: Obj, now: float) -> list[Cell]:
    spec = _dict(obj.get("spec"))
    attached = _get(obj, "status", "attached")
    return [
        _name(obj),
        _str(spec.get("attacher")),
        _str(_get(spec, "source", "persistentVolumeName")),
        _str(spec.get("nodeName")),
        attached if isinstance(attached, bool) else False,
        _age(obj, now),
    ]


# --- networking --------------------------------------------------------------------------------


@_printer(
    [("networking.k8s.io", "ingresses")],
    [
        _name_col(),
        _col(
            "Class",
            description="The name of the IngressClass resource that should be used for "
            "additional configuration",
        ),
        _col(
            "Hosts",
            description="Hosts that incoming requests are matched against before the ingress rule",
        ),
        _col(
            "Address",
            description="Address is a list containing ingress points for the load-balancer",
        ),
        _col("Ports", description="Ports of TLS configurations that open"),
        _age_col(),
    ],
)
def _ingress(obj: Obj, now: float) -> list[Cell]:
    spec = _dict(obj.get("spec"))
    rules = _list(spec.get("rules"))
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            # A rule met after three hosts were found: the rest are summarised.
            more = True
            break
        host = _str(_get(rule, "host"))
        if host:
            hosts.append(host)
    if not hosts:
        host_text = "*"
    elif more:
        host_text = f"{','.join(hosts)} + {len(rules) - 3} more..."
    else:
        host_text = ",".join(hosts)
    return [
        _name(obj),
        _str(spec.get("ingressClassName")) or "<none>",
        host_text,
        _lb_ingress(obj.get("status")),
        "80, 443" if _list(spec.get("tls")) else "80",
        _age(obj, now),
    ]


@_printer(
    [("networking.k8s.io", "ingressclasses")],
    [
        _name_col(),
        _col("Controller", description="Controller that is responsible for handling this class"),
        _col("Parameters", description="A reference to a resource with additional parameters"),
        _age_col(),
    ],
)
def _ingress_class(obj: Obj, now: float) -> list[Cell]:
    spec = _dict(obj.get("spec"))
    parameters = "<none>"
    params = spec.get("parameters")
    if isinstance(params, dict):
        parameters = _str(params.get("kind"))
        if isinstance(params.get("apiGroup"), str):
            parameters += "." + params["apiGroup"]
        parameters += "/" + _str(params.get("name"))
    return [_name(obj), _str(spec.get("controller")), parameters, _age(obj, now)]


@_printer(
    [("networking.k8s.io", "networkpolicies")],
    [
        _name_col(),
        _col("Pod-Selector", description="The pods this policy applies to."),
        _age_col(),
    ],
)
def _network_policy(obj: Obj, now: float) -> list[Cell]:
    selector = _get(obj, "spec", "podSelector")
    return [_name(obj), _format_selector(selector if selector is not None else {}), _age(obj, now)]


@_printer(
    [("networking.k8s.io", "servicecidrs")],
    [_name_col(), _col("CIDRs", description="The IP ranges of this ServiceCIDR."), _age_col()],
)
def _service_cidr(obj: Obj, now: float) -> list[Cell]:
    cidrs = ",".join(str(c) for c in _list(_get(obj, "spec", "cidrs")))
    return [_name(obj), cidrs, _age(obj, now)]


# --- rbac --------------------------------------------------------------------------------------


def _binding_columns(what: str) -> list[Obj]:
    return [
        _name_col(),
        _col("Role", description="The role this binding grants."),
        _age_col(),
        _col("Users", description=f"Users in the {what}", priority=1),
        _col("Groups", description=f"Groups in the {what}", priority=1),
        _col("ServiceAccounts", description=f"ServiceAccounts in the {what}", priority=1),
    ]


def _binding(obj: Obj, now: float) -> list[Cell]:
    ref = _dict(obj.get("roleRef"))
    users: list[str] = []
    groups: list[str] = []
    accounts: list[str] = []
    for raw in _list(obj.get("subjects")):
        subject = _dict(raw)
        kind, name = _str(subject.get("kind")), _str(subject.get("name"))
        if kind == "ServiceAccount":
            accounts.append(f"{_str(subject.get('namespace'))}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return [
        _name(obj),
        f"{_str(ref.get('kind'))}/{_str(ref.get('name'))}",
        _age(obj, now),
        ", ".join(users),
        ", ".join(groups),
        ", ".join(accounts),
    ]


_PRINTERS[("rbac.authorization.k8s.io", "rolebindings")] = _Printer(
    tuple(_binding_columns("roleBinding")), _binding
)
_PRINTERS[("rbac.authorization.k8s.io", "clusterrolebindings")] = _Printer(
    tuple(_binding_columns("clusterRoleBinding")), _binding
)


# --- cluster-wide odds and ends -----------------------------------------------------------------


@_printer(
    [("coordination.k8s.io", "leases")],
    [_name_col(), _col("Holder", description="The holder of the lease."), _age_col()],
)
def _lease(obj: Obj, now: float) -> list[Cell]:
    return [_name(obj), _str(_get(obj, "spec", "holderIdentity")), _age(obj, now)]


@_printer(
    [("scheduling.k8s.io", "priorityclasses")],
    [
        _name_col(),
        _col("Value", "integer", "The priority given to pods of this class."),
        _col("Global-Default", "boolean", "Whether this is the default priority class."),
        _age_col(),
        _col("PreemptionPolicy", description="Whether pods of this class preempt others."),
    ],
)
def _priority_class(obj: Obj, now: float) -> list[Cell]:
    default = obj.get("globalDefault")
    return [
        _name(obj),
        _int(obj.get("value")),
        default if isinstance(default, bool) else False,
        _age(obj, now),
        _str(obj.get("preemptionPolicy")),
    ]


@_printer(
    [("node.k8s.io", "runtimeclasses")],
    [_name_col(), _col("Handler", description="The CRI handler."), _age_col()],
)
def _runtime_class(obj: Obj, now: float) -> list[Cell]:
    return [_name(obj), _str(obj.get("handler")), _age(obj, now)]


@_printer(
    [
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
        ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ],
    [
        _name_col(),
        _col(
            "Webhooks",
            "integer",
            "Webhooks indicates the number of webhooks registered in this configuration",
        ),
        _age_col(),
    ],
)
def _webhooks(obj: Obj, now: float) -> list[Cell]:
    return [_name(obj), len(_list(obj.get("webhooks"))), _age(obj, now)]


@_printer(
    [("certificates.k8s.io", "certificatesigningrequests")],
    [
        _name_col(),
        _age_col(),
        _col("SignerName", description="The requested signer."),
        _col("Requestor", description="The user who created the request."),
        _col("RequestedDuration", description="The requested validity of the certificate."),
        _col("Condition", description="Approved, Denied, Failed, Issued."),
    ],
)
def _csr(obj: Obj, now: float) -> list[Cell]:
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    kinds = {_str(_get(c, "type")) for c in _list(status.get("conditions"))}
    if "Denied" in kinds:
        condition = "Denied"
    elif "Approved" in kinds:
        condition = "Approved"
    else:
        condition = "Pending"
    if "Failed" in kinds:
        condition += ",Failed"
    if status.get("certificate"):
        condition += ",Issued"
    requested = "<none>"
    if spec.get("expirationSeconds") is not None:
        requested = human_duration(_int(spec.get("expirationSeconds")))
    return [
        _name(obj),
        _age(obj, now),
        _str(spec.get("signerName")) or "<none>",
        _str(spec.get("username")),
        requested,
        condition,
    ]


@_printer(
    [("", "resourcequotas")],
    [
        _name_col(),
        _col(
            "Request",
            description="Request represents a minimum amount of cpu/memory that a container "
            "may consume.",
        ),
        _col(
            "Limit",
            description="Limits control the maximum amount of cpu/memory that a container may "
            "use independent of contention on the node.",
        ),
        _age_col(),
    ],
)
def _resource_quota(obj: Obj, now: float) -> list[Cell]:
    status = _dict(obj.get("status"))
    hard, used = _dict(status.get("hard")), _dict(status.get("used"))
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        text = f"{resource}: {_quantity(used.get(resource))}/{_quantity(hard[resource])}"
        pieces = resource.split(".")
        (limits if len(pieces) > 1 and pieces[0] == "limits" else requests).append(text)
    return [_name(obj), ", ".join(requests), ", ".join(limits), _age(obj, now)]


# Kinds kube-apiserver 1.32 serves through its generic converter: Name and Created At.
_CREATED_AT_KINDS = frozenset(
    {
        ("", "limitranges"),
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
    }
)


# ---------------------------------------------------------------------------------------------
# JSONPath (the subset CRD printer columns use)


class JSONPathError(ValueError):
    """A printer column's JSONPath this module cannot read."""


_Step = tuple[str, Any]

_FILTER = re.compile(
    r"^\s*@((?:\.[^\s=!<>]+)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*$",
)


def _parse_jsonpath(path: str) -> list[_Step]:
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[_Step] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == ".":
            if text.startswith("..", i):
                steps.append(("descend", None))
                i += 2
                if i < len(text) and text[i] in ".[":
                    continue
            else:
                i += 1
            name = []
            while i < len(text) and text[i] not in ".[":
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                name.append(text[i])
                i += 1
            field = "".join(name)
            if field == "*":
                steps.append(("all", None))
            elif field:
                steps.append(("field", field))
        elif char == "[":
            end = _closing_bracket(text, i)
            inner = text[i + 1 : end].strip()
            i = end + 1
            if inner.startswith("?(") and inner.endswith(")"):
                steps.append(("filter", inner[2:-1]))
            elif inner == "*":
                steps.append(("all", None))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append(("field", inner[1:-1]))
            elif ":" in inner:
                parts = [p.strip() for p in inner.split(":")]
                try:
                    bounds = [int(p) if p else None for p in parts[:3]]
                except ValueError as exc:
                    raise JSONPathError(f"bad slice [{inner}]") from exc
                steps.append(("slice", bounds))
            else:
                try:
                    steps.append(("index", int(inner)))
                except ValueError as exc:
                    raise JSONPathError(f"bad subscript [{inner}]") from exc
        elif char.isspace():
            i += 1
        else:
            raise JSONPathError(f"unexpected {char!r} in {path!r}")
    return steps


def _closing_bracket(text: str, start: int) -> int:
    depth = 0
    quote = ""
    for j in range(start, len(text)):
        c = text[j]
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return j
    raise JSONPathError(f"unclosed [ in {text!r}")


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _matches(item: Any, expression: str) -> bool:
    m = _FILTER.match(expression)
    if m is None:
        raise JSONPathError(f"unsupported filter {expression!r}")
    left_path, operator, right_text = m.group(1), m.group(2), m.group(3)
    left = _evaluate([item], _parse_jsonpath(left_path)) if left_path else [item]
    if operator is None:
        return bool(left)
    if not left:
        return False
    value = left[0]
    if right_text.strip().startswith("@"):
        right_values = _evaluate([item], _parse_jsonpath(right_text.strip()[1:]))
        if not right_values:
            return False
        right = right_values[0]
    else:
        right = _literal(right_text)
    if isinstance(value, bool) != isinstance(right, bool):
        return operator == "!="
    try:
        if operator == "==":
            return bool(value == right)
        if operator == "!=":
            return bool(value != right)
        if operator == "<":
            return bool(value < right)
        if operator == ">":
            return bool(value > right)
        if operator == "<=":
            return bool(value <= right)
        return bool(value >= right)
    except TypeError:
        return False


def _descendants(value: Any) -> list[Any]:
    found = [value]
    if isinstance(value, dict):
        for child in value.values():
            found.extend(_descendants(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(_descendants(child))
    return found


def _evaluate(current: list[Any], steps: list[_Step]) -> list[Any]:
    for kind, arg in steps:
        following: list[Any] = []
        for value in current:
            if kind == "field":
                if isinstance(value, dict) and arg in value:
                    following.append(value[arg])
            elif kind == "index":
                if isinstance(value, list) and -len(value) <= arg < len(value):
                    following.append(value[arg])
            elif kind == "slice":
                if isinstance(value, list):
                    start, stop, step = ([*arg, None, None, None])[:3]
                    if step != 0:
                        following.extend(value[start:stop:step])
            elif kind == "all":
                if isinstance(value, dict):
                    following.extend(value[k] for k in sorted(value))
                elif isinstance(value, list):
                    following.extend(value)
            elif kind == "filter":
                items = value if isinstance(value, list) else []
                following.extend(item for item in items if _matches(item, arg))
            elif kind == "descend":
                following.extend(_descendants(value))
        current = following
    return current


def jsonpath_find(data: Any, path: str) -> list[Any]:
    """Every value `path` selects in `data` (missing keys select nothing)."""
    return _evaluate([data], _parse_jsonpath(path))


def _go_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return None


def _custom_cell(kind: str, value: Any, now: float) -> Cell:
    if value is None:
        return None
    if kind == "string":
        return _go_text(value)
    if kind == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value):
            return int(value)
        return None
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        if not isinstance(value, str):
            return None
        at = parse_time(value)
        return "<invalid>" if at is None else human_duration(now - at)
    return None


def _custom_columns(crd_columns: list[dict[str, Any]]) -> list[Obj]:
    if not crd_columns:
        crd_columns = [
            {
                "name": "Age",
                "type": "date",
                "description": _CREATED_DOC,
                "jsonPath": ".metadata.creationTimestamp",
            }
        ]
    return crd_columns


def _custom_table(
    objects: list[Obj], now: float, crd_columns: list[dict[str, Any]]
) -> tuple[list[Obj], list[list[Cell]]]:
    columns = _custom_columns(crd_columns)
    definitions = [_name_col()]
    paths: list[list[_Step] | None] = []
    for column in columns:
        path = _str(column.get("jsonPath"))
        description = _str(column.get("description")) or (
            f"Custom resource definition column (in JSONPath format): {path}"
        )
        definitions.append(
            _col(
                _str(column.get("name")),
                _str(column.get("type")) or "string",
                description,
                priority=_int(column.get("priority")),
                fmt=_str(column.get("format")),
            )
        )
        try:
            paths.append(_parse_jsonpath(path))
        except JSONPathError:
            paths.append(None)
    rows = []
    for obj in objects:
        cells: list[Cell] = [_name(obj)]
        for definition, steps in zip(definitions[1:], paths, strict=True):
            found = _evaluate([obj], steps) if steps is not None else []
            cells.append(_custom_cell(definition["type"], found[0], now) if found else None)
        rows.append(cells)
    return definitions, rows


# ---------------------------------------------------------------------------------------------
# The Table


def _row_object(obj: Obj, include_object: str) -> Obj | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": _dict(obj.get("metadata")),
    }


def table(
    group: str,
    plural: str,
    objects: list[dict[str, Any]],
    now: float,
    *,
    include_object: str = "Metadata",
    list_meta: dict[str, Any] | None = None,
    crd_columns: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`objects` of the resource `group`/`plural` as a `meta.k8s.io/v1` Table.

    `now` is the server's clock (Unix seconds) for ages. `include_object` is the request's
    `includeObject` (`None`, `Metadata` or `Object`). `list_meta` becomes the Table's metadata
    (resourceVersion, continue, ...). `crd_columns` marks a custom resource: the CRD version's
    `additionalPrinterColumns` (an empty list means the default `Age` column).
    """
    key = (group, plural)
    printer = None if crd_columns is not None else _PRINTERS.get(key)
    conditions: ConditionsFn | None = None
    if printer is not None:
        columns = [dict(c) for c in printer.columns]
        cells = [printer.cells(obj, now) for obj in objects]
        conditions = printer.conditions
    elif crd_columns is None and key in _CREATED_AT_KINDS:
        columns = [_name_col(), _col("Created At", "date", _CREATED_DOC)]
        cells = [[_name(obj), _created_at(obj)] for obj in objects]
    else:
        columns, cells = _custom_table(objects, now, crd_columns or [])
    rows = []
    for obj, row_cells in zip(objects, cells, strict=True):
        row: dict[str, Any] = {"cells": row_cells}
        if conditions is not None:
            found = conditions(obj)
            if found:
                row["conditions"] = found
        row["object"] = _row_object(obj, include_object)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": dict(list_meta) if list_meta else {},
        "columnDefinitions": columns,
        "rows": rows,
    }
