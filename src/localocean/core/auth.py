"""Who is calling: bearer tokens in `open` or `strict` mode, resolved once and cached."""

from __future__ import annotations

from localocean.core import accounts
from localocean.core.accounts import Principal, TokenGrant
from localocean.core.clock import Clock
from localocean.core.db import Database
from localocean.core.errors import Unauthorized

# Tokens remembered without a database read; the oldest is forgotten first beyond this, so
# memory stays flat however many distinct tokens arrive.
CACHE_SIZE = 10_000


class Authenticator:
    def __init__(
        self,
        mode: str,
        db: Database,
        clock: Clock,
        grants: list[TokenGrant],
        cache_size: int = CACHE_SIZE,
    ):
        self.mode = mode
        self.db = db
        self.clock = clock
        self.grants = grants
        self.allowed = {accounts.hash_token(grant.token) for grant in grants}
        self.cache_size = cache_size
        self._cache: dict[str, Principal] = {}

    def allow(self, token_hashes: list[str]) -> None:
        """Seeded tokens are valid in strict mode too."""
        self.allowed.update(token_hashes)

    def install(self, grants: list[TokenGrant]) -> None:
        with self.db.transaction() as connection:
            accounts.install_grants(connection, grants, self.clock.now())

    def forget(self) -> None:
        self._cache.clear()

    @staticmethod
    def bearer(authorization: bytes | None) -> str:
        if not authorization:
            raise Unauthorized()
        scheme, _, token = authorization.decode("latin-1").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise Unauthorized()
        return token

    def authenticate(self, authorization: bytes | None) -> Principal:
        token = self.bearer(authorization)
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        with self.db.transaction() as connection:
            if self.mode == "strict":
                if accounts.hash_token(token) not in self.allowed:
                    raise Unauthorized()
                principal = accounts.find(connection, token)
                if principal is None:
                    raise Unauthorized()
            else:
                principal = accounts.open_account(connection, token, self.clock.now())
        if len(self._cache) >= self.cache_size:
            del self._cache[next(iter(self._cache))]
        self._cache[token] = principal
        return principal
