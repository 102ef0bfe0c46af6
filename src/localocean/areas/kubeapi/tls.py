"""Each cluster's API is served with a certificate its own CA signs, for the name kubeconfigs
carry as `tls-server-name` (`<cluster-id>.k8s.ondigitalocean.com`): the listener picks it by
SNI. Made on a cluster's first connection and kept for the life of the process."""

from __future__ import annotations

import ssl
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localocean.core.services import Services

_CACHE_SIZE = 256
_contexts: OrderedDict[tuple[str, str], ssl.SSLContext] = OrderedDict()
_lock = threading.Lock()


def context_for(services: Services, name: str) -> ssl.SSLContext | None:
    from localocean.areas.kubernetes import access
    from localocean.areas.kubernetes import store as clusters_store

    if not name.endswith(access.SERVER_NAME_SUFFIX):
        return None
    cluster_id = name.removesuffix(access.SERVER_NAME_SUFFIX)
    with services.db.transaction() as connection:
        cluster = clusters_store.get_any(connection, cluster_id)
        if cluster is None:
            return None
        certificate, key = access.ca(connection, cluster)
    cache_key = (cluster_id, certificate)
    with _lock:
        context = _contexts.get(cache_key)
        if context is not None:
            _contexts.move_to_end(cache_key)
            return context
    from cryptography.hazmat.primitives import serialization

    from localocean.tls import serving_context

    ca_key = serialization.load_pem_private_key(key.encode(), None)
    with tempfile.TemporaryDirectory(prefix="localocean-k8s-") as directory:
        context = serving_context(ca_key, certificate.encode(), [name], Path(directory), "api")
    with _lock:
        _contexts[cache_key] = context
        while len(_contexts) > _CACHE_SIZE:
            _contexts.popitem(last=False)
    return context
