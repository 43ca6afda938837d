"""Pythonic wrappers over the engine's operations (``engine.accounts`` & co.).

Each method runs one registered operation through :meth:`Engine.call` and
returns the parsed JSON result: objects are plain ``dict`` values with the
fields the operation documents (``engine.call("meta.operations")``).
Timestamps are RFC 3339 UTC strings; :func:`gramkit.parse_timestamp` turns
them into datetimes, and methods accept datetimes wherever a timestamp goes
in.  Listing methods return iterators that follow keyset pages lazily; the
first page is fetched at once, so bad filters raise at the call.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import http.cookiejar
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple,
                    Union)

from . import _native
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["Accounts", "Instagram", "Proxies", "Ratelimit", "Sessions", "Vault", "CookieLike", "Timestamp", "Parts"]

#: A timestamp argument: an aware datetime (naive = UTC) or RFC 3339 text.
Timestamp = Union[_dt.datetime, str]
#: A cookie: a dict with name, value, domain, path, expires?, secure,
#: http_only, or an :class:`http.cookiejar.Cookie`.
CookieLike = Union[Mapping[str, Any], http.cookiejar.Cookie]

JsonObject = Dict[str, Any]
#: Request parts for rate limiting: a sequence of "kind:value" strings, or
#: one comma-separated string ("account:42,action:hashtag").
Parts = Union[Sequence[str], str]


def _given(**params: Any) -> Dict[str, Any]:
    """Drops parameters left at None (optional params the caller omitted)."""
    return {k: v for k, v in params.items() if v is not None}


def _pages(fetch: Callable[[Optional[int]], JsonObject]) -> Iterator[JsonObject]:
    """Fetches the first page now; returns an iterator over every item."""
    first = fetch(None)

    def follow(page: JsonObject) -> Iterator[JsonObject]:
        while True:
            yield from page.get("items", [])
            after = page.get("next_after")
            if after is None:
                return
            page = fetch(after)

    return follow(first)


def _cookie_json(cookie: CookieLike) -> Dict[str, Any]:
    if isinstance(cookie, http.cookiejar.Cookie):
        out: Dict[str, Any] = {
            "name": cookie.name,
            "value": cookie.value or "",
            "domain": cookie.domain,
            "path": cookie.path or "/",
            "secure": bool(cookie.secure),
            "http_only": cookie.has_nonstandard_attr("HttpOnly") or cookie.has_nonstandard_attr("httponly"),
        }
        if cookie.expires is not None:
            out["expires"] = _dt.datetime.fromtimestamp(cookie.expires, _dt.timezone.utc)
        return out
    return dict(cookie)


class _Resource:
    __slots__ = ("_engine",)

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine

    def _call(self, op: str, **params: Any) -> Any:
        return self._engine.call(op, **params)

    def __repr__(self) -> str:
        return f"<gramkit.{type(self).__name__} of {self._engine!r}>"


class Accounts(_Resource):
    """Bot accounts (``accounts.*`` operations).

    Account objects are dicts: ``id``, ``username``, ``email``, ``labels``,
    ``status``, ``status_reason``, ``cooldown_until``, ``proxy_id``,
    ``has_totp_seed``, ``created_at``, ``updated_at``.  Passwords and TOTP
    seeds are write-only.
    """

    __slots__ = ()

    def create(self, username: str, password: str, *, email: Optional[str] = None,
               totp_seed: Optional[str] = None, labels: Iterable[str] = ()) -> JsonObject:
        """Registers an account in status ``active``.

        Raises:
            InvalidArgumentError: a bad field (named in the message).
            ConflictError: the username is taken.
        """
        return self._call("accounts.create", **_given(username=username, password=password, email=email,
                                                      totp_seed=totp_seed), labels=list(labels))

    def get(self, id: int) -> JsonObject:
        """The account with this id (:class:`NotFoundError` if none)."""
        return self._call("accounts.get", id=id)

    def get_by_username(self, username: str) -> JsonObject:
        """The account with this username (:class:`NotFoundError` if none)."""
        return self._call("accounts.get_by_username", username=username)

    def page(self, *, status: Optional[str] = None, label: Optional[str] = None,
             after: Optional[int] = None, limit: int = 50) -> JsonObject:
        """One keyset page: ``{"items": [...], "next_after": id or None}``."""
        return self._call("accounts.list", **_given(status=status, label=label, after=after), limit=limit)

    def list(self, status: Optional[str] = None, label: Optional[str] = None,
             limit: int = 50) -> Iterator[JsonObject]:
        """Iterates over accounts in id order, optionally filtered.

        Args:
            status: only accounts in this status (``"active"``, ``"cooldown"``, ...).
            label: only accounts carrying this label.
            limit: page size (1..1000): accounts fetched per library call.
        """
        return _pages(lambda after: self.page(status=status, label=label, after=after, limit=limit))

    def update(self, id: int, **fields: Any) -> JsonObject:
        """Changes the given fields (``username``, ``password``, ``email``,
        ``totp_seed``, ``labels``); ``email=None`` / ``totp_seed=None`` clear
        them.  Returns the updated account."""
        if "labels" in fields and fields["labels"] is not None:
            fields["labels"] = list(fields["labels"])
        return self._call("accounts.update", id=id, **fields)

    def delete(self, id: int) -> None:
        """Deletes the account, its session and its secrets."""
        self._call("accounts.delete", id=id)

    def set_status(self, id: int, status: str, reason: str, until: Optional[Timestamp] = None) -> JsonObject:
        """Guarded status transition, recorded in the history.

        ``until`` is required for (and only allowed with) ``"cooldown"``.
        Illegal transitions raise :class:`ConflictError`.
        """
        return self._call("accounts.set_status", **_given(id=id, status=status, reason=reason, until=until))

    def cooldown(self, id: int, until: Timestamp, reason: str, escalate: bool = False) -> JsonObject:
        """Cools an account down until ``until``: status ``cooldown`` plus a
        fleet-wide rate-limit penalty on ``account:<id>``.  With
        ``escalate=True`` repeats double the duration (capped at 24 h).
        Returns the updated account."""
        return self._call("accounts.cooldown", id=id, until=until, reason=reason, escalate=escalate)

    def history(self, id: int, limit: Optional[int] = None) -> List[JsonObject]:
        """Status changes, newest first."""
        result = self._call("accounts.history", **_given(id=id, limit=limit))
        return list(result["items"]) if isinstance(result, Mapping) else list(result)


class Proxies(_Resource):
    """Proxies and sticky per-account proxy assignment (``proxies.*``).

    Proxy objects are dicts; ``url`` never contains the password.
    """

    __slots__ = ()

    def create(self, url: str, *, max_accounts: Optional[int] = None) -> JsonObject:
        """Registers ``scheme://[user[:password]@]host:port`` (:class:`ConflictError` if known)."""
        return self._call("proxies.create", **_given(url=url, max_accounts=max_accounts))

    def get(self, id: int) -> JsonObject:
        """The proxy with this id."""
        return self._call("proxies.get", id=id)

    def page(self, *, health: Optional[str] = None, after: Optional[int] = None, limit: int = 50) -> JsonObject:
        """One keyset page: ``{"items": [...], "next_after": id or None}``."""
        return self._call("proxies.list", **_given(health=health, after=after), limit=limit)

    def list(self, health: Optional[str] = None, limit: int = 50) -> Iterator[JsonObject]:
        """Iterates over proxies (``health``: ``"healthy"``/``"unhealthy"``; ``limit``: page size)."""
        return _pages(lambda after: self.page(health=health, after=after, limit=limit))

    def delete(self, id: int) -> None:
        """Deletes a proxy (:class:`FailedPreconditionError` while accounts use it)."""
        self._call("proxies.delete", id=id)

    def assign(self, account_id: int) -> JsonObject:
        """The account's sticky proxy, assigning the least-loaded healthy one if
        needed (:class:`UnavailableError` when none has room)."""
        return self._call("proxies.assign", account_id=account_id)

    def assign_to(self, account_id: int, proxy_id: int) -> JsonObject:
        """Assigns a specific proxy (:class:`FailedPreconditionError` if full)."""
        return self._call("proxies.assign_to", account_id=account_id, proxy_id=proxy_id)

    def unassign(self, account_id: int) -> None:
        """Removes the account's proxy assignment."""
        self._call("proxies.unassign", account_id=account_id)

    def set_health(self, id: int, health: str) -> JsonObject:
        """Marks a proxy ``"healthy"`` or ``"unhealthy"``."""
        return self._call("proxies.set_health", id=id, health=health)

    def set_max_accounts(self, id: int, max_accounts: int) -> JsonObject:
        """Changes how many accounts the proxy may carry (1..10000)."""
        return self._call("proxies.set_max_accounts", id=id, max_accounts=max_accounts)

    def report_failure(self, id: int) -> JsonObject:
        """Counts a failure; enough consecutive ones make the proxy unhealthy."""
        return self._call("proxies.report_failure", id=id)

    def report_success(self, id: int) -> JsonObject:
        """Resets the failure count and marks the proxy healthy."""
        return self._call("proxies.report_success", id=id)


def _parts_list(parts: Parts) -> List[str]:
    if isinstance(parts, str):
        return parts.split(",")
    if isinstance(parts, (bytes, bytearray)) or not isinstance(parts, Iterable):
        raise InvalidArgumentError(f"parts: expected a sequence of strings or a string, not {type(parts).__name__}")
    out = list(parts)
    for p in out:
        if not isinstance(p, str):
            raise InvalidArgumentError(f"parts: expected strings, got {type(p).__name__}")
    return out


def _parts_key(parts: Parts) -> str:
    """The comma-separated key gk_ratelimit_try takes."""
    if isinstance(parts, str):
        return parts
    out = _parts_list(parts)
    for p in out:
        if "," in p:
            raise InvalidArgumentError(f"parts: {p!r} contains a comma")
    return ",".join(out)


class Ratelimit(_Resource):
    """Rate limits (``ratelimit.*`` operations and the ``gk_ratelimit_try``
    fast path).

    A request is described by its parts, ``"kind:value"`` strings such as
    ``"account:42"``, ``"action:hashtag"``, ``"endpoint:graphql"``,
    ``"proxy:7"``: a list, or one comma-separated string.  It must pass
    every applicable rule and penalty (docs/ratelimit.md).
    """

    __slots__ = ()

    def try_acquire(self, parts: Parts, cost: int = 1) -> Tuple[bool, float]:
        """Consumes ``cost`` if the request is allowed (typed fast path, no JSON).

        Returns:
            ``(True, 0.0)`` when allowed, ``(False, seconds)`` when denied
            (nothing consumed; ``seconds`` is how long to wait).  A denial
            does not raise.

        Raises:
            InvalidArgumentError: an empty part, cost 0 or above a rule's burst.
            UnavailableError: the limiter's store is down (fail-closed).
        """
        key = _parts_key(parts)
        engine = self._engine
        handle = engine._enter()
        try:
            allowed, retry_us = _native.ratelimit_try(handle, key, cost)
        finally:
            engine._leave()
        return allowed, retry_us / 1e6

    def check(self, parts: Parts, cost: int = 1) -> JsonObject:
        """Like :meth:`try_acquire` but returns the full verdict: ``allowed``,
        ``rule``, ``key``, ``retry_after_ms``, ``remaining``,
        ``penalized_until``, ``partially_consumed``.  A denial does not raise."""
        return self._call("ratelimit.check", parts=_parts_list(parts), cost=cost)

    def status(self, parts: Parts) -> List[JsonObject]:
        """Each applicable rule's state without consuming: ``rule``, ``key``,
        ``allowed``, ``remaining``, ``reset_at``, ``retry_after_ms``,
        ``penalized_until``."""
        return list(self._call("ratelimit.status", parts=_parts_list(parts))["items"])

    def report(self, parts: Parts) -> JsonObject:
        """The whole ``ratelimit.status`` answer: ``items`` as :meth:`status`
        returns them and, when a part is ``account:<id>`` of an existing
        account, ``account``: ``{id, status, cooldown_until}``."""
        return self._call("ratelimit.status", parts=_parts_list(parts))

    def save(self) -> int:
        """Saves the in-process limiter state to storage now (it is also
        saved when the engine closes); returns the number of keys written
        (0 with Redis or ``ratelimit_persist: false``)."""
        return int(self._call("ratelimit.save")["saved"])

    def policies(self) -> List[JsonObject]:
        """The rules in force: ``[{name, rate, period_ms, burst, match}]``."""
        return list(self._call("ratelimit.policies.get")["rules"])

    def set_policies(self, rules: Iterable[Mapping[str, Any]]) -> List[JsonObject]:
        """Replaces every rule (validated as a whole); returns the rules in force.

        Each rule is ``{"name", "rate", "period_ms", "burst", "match"}``;
        ``match`` lists selectors: ``"kind"`` (one bucket per value) or
        ``"kind:value"`` (filter)."""
        payload = []
        for r in rules:
            rule = dict(r)
            if "match" in rule and not isinstance(rule["match"], str):
                rule["match"] = list(rule["match"])
            payload.append(rule)
        return list(self._call("ratelimit.policies.set", rules=payload)["rules"])

    def reset(self, parts: Parts) -> None:
        """Forgets the state and penalties of the request's keys."""
        self._call("ratelimit.reset", parts=_parts_list(parts))

    def penalize(self, part: str, until: Timestamp, escalate: bool = False) -> str:
        """Blocks every request naming ``part`` until ``until``; with
        ``escalate=True`` repeats double the duration.  Returns the
        effective end (RFC 3339)."""
        return str(self._call("ratelimit.penalize", part=part, until=until, escalate=escalate)["until"])


class Instagram(_Resource):
    """Login and the public read endpoints (``instagram.*`` operations),
    each made on behalf of one bot account: its session cookies, its sticky
    proxy and its rate limits.  Calls block while the request runs.

    Instagram's answers are applied to the account: 429 / "please wait" put
    it into cooldown (:class:`gramkit.RateLimitedError`), a checkpoint marks
    it ``challenge_required``, a bad password ``login_failed``
    (docs/instagram.md).  Ids of posts and users are strings.
    """

    __slots__ = ()

    def login(self, account_id: int, *, two_factor_code: Optional[str] = None,
              two_factor_identifier: Optional[str] = None) -> JsonObject:
        """Logs the account in with its stored password (and TOTP seed).

        Returns ``{"status": "ok", "user_id": ...}``, or ``{"status":
        "two_factor_required", "two_factor_identifier": ...}`` when a code is
        needed: call again with ``two_factor_code`` and that identifier.
        """
        return self._call("instagram.login", **_given(account_id=account_id, two_factor_code=two_factor_code,
                                                      two_factor_identifier=two_factor_identifier))

    def profile(self, account_id: int, username: str) -> JsonObject:
        """A profile (``id``, ``username``, ``followers``, ... and ``recent_posts``)."""
        return self._call("instagram.profile", account_id=account_id, username=username)

    def posts_page(self, account_id: int, username: str, cursor: Optional[str] = None) -> JsonObject:
        """One page: ``{"items": [...], "next_cursor": str|None, "has_next": bool}``."""
        return self._call("instagram.posts", **_given(account_id=account_id, username=username, cursor=cursor))

    def posts(self, account_id: int, username: str, limit: Optional[int] = None) -> Iterator[JsonObject]:
        """Every post of a user, newest first, following cursors lazily (each
        page is one request; ``limit`` stops after that many posts)."""
        first = self.posts_page(account_id, username)

        def follow(page: JsonObject) -> Iterator[JsonObject]:
            count = 0
            while True:
                for item in page.get("items", []):
                    if limit is not None and count >= limit:
                        return
                    count += 1
                    yield item
                cursor = page.get("next_cursor")
                if not cursor:
                    return
                page = self.posts_page(account_id, username, cursor)

        return follow(first)

    def hashtag(self, account_id: int, tag: str, cursor: Optional[str] = None) -> JsonObject:
        """One page of a hashtag: ``name``, ``media_count``, ``top_posts``,
        ``recent_posts``, ``next_cursor``, ``has_next``."""
        return self._call("instagram.hashtag", **_given(account_id=account_id, tag=tag, cursor=cursor))

    def media(self, account_id: int, id_or_shortcode: str) -> JsonObject:
        """A post by numeric media id or shortcode."""
        return self._call("instagram.media", account_id=account_id, id=id_or_shortcode)


class Sessions(_Resource):
    """Cookie sessions and account checkout (``sessions.*``).

    Session objects are dicts (``account_id``, device fields, cookie count,
    validity, timestamps).  Cookie values are write-only: nothing returns them.
    """

    __slots__ = ()

    def get(self, account_id: int) -> JsonObject:
        """The account's session (:class:`NotFoundError` if it has none)."""
        return self._call("sessions.get", account_id=account_id)

    def _save(self, op: str, account_id: int, cookies: Iterable[CookieLike], user_agent: Optional[str],
              device_id: Optional[str], locale: Optional[str]) -> JsonObject:
        return self._call(op, account_id=account_id, cookies=[_cookie_json(c) for c in cookies],
                          **_given(user_agent=user_agent, device_id=device_id, locale=locale))

    def save_cookies(self, account_id: int, cookies: Iterable[CookieLike], *, user_agent: Optional[str] = None,
                     device_id: Optional[str] = None, locale: Optional[str] = None) -> JsonObject:
        """Merges cookies into the jar (same name+domain+path replaces; an
        expired cookie deletes) and marks the session valid.

        ``cookies`` are dicts (``name``, ``value``, ``domain``, ``path``,
        ``expires`` (datetime or RFC 3339), ``secure``, ``http_only``) or
        :class:`http.cookiejar.Cookie` objects.
        """
        return self._save("sessions.save_cookies", account_id, cookies, user_agent, device_id, locale)

    def replace_cookies(self, account_id: int, cookies: Iterable[CookieLike], *, user_agent: Optional[str] = None,
                        device_id: Optional[str] = None, locale: Optional[str] = None) -> JsonObject:
        """Replaces the whole jar (see :meth:`save_cookies` for the arguments)."""
        return self._save("sessions.replace_cookies", account_id, cookies, user_agent, device_id, locale)

    def import_cookies(self, account_id: int, text: str, *, user_agent: Optional[str] = None,
                       device_id: Optional[str] = None, locale: Optional[str] = None) -> JsonObject:
        """Merges cookies from a browser JSON export or a Netscape cookies.txt
        (errors name the bad entry or line)."""
        return self._call("sessions.import_cookies", account_id=account_id, text=text,
                          **_given(user_agent=user_agent, device_id=device_id, locale=locale))

    def cookies(self, account_id: int) -> List[JsonObject]:
        """The unexpired cookies of the account's jar, without their values."""
        result = self._call("sessions.cookies", account_id=account_id)
        return list(result["items"]) if isinstance(result, Mapping) else list(result)

    def invalidate(self, account_id: int, reason: str) -> None:
        """Marks the session invalid (for example after ``login_required``)."""
        self._call("sessions.invalidate", account_id=account_id, reason=reason)

    def page(self, *, valid_only: bool = False, after: Optional[int] = None, limit: int = 50) -> JsonObject:
        """One keyset page: ``{"items": [...], "next_after": account id or None}``."""
        return self._call("sessions.list", valid_only=valid_only, limit=limit, **_given(after=after))

    def list(self, valid_only: bool = False, limit: int = 50) -> Iterator[JsonObject]:
        """Iterates over sessions in account id order (``limit``: page size)."""
        return _pages(lambda after: self.page(valid_only=valid_only, after=after, limit=limit))

    def checkout(self) -> JsonObject:
        """Hands out the least-recently-used usable account
        (``{"account_id", "username", "proxy_id"}``);
        :class:`UnavailableError` if none is free."""
        return self._call("sessions.checkout")

    def checkin(self, account_id: int) -> None:
        """Returns a checked-out account and marks its session used now."""
        self._call("sessions.checkin", account_id=account_id)

    @contextlib.contextmanager
    def checked_out(self) -> Iterator[JsonObject]:
        """``with engine.sessions.checked_out() as acct:`` checks an account
        out and always checks it back in."""
        account = self.checkout()
        try:
            yield account
        finally:
            self.checkin(account["account_id"])


class Vault(_Resource):
    """Encryption keys for secrets at rest (``vault.*``)."""

    __slots__ = ()

    def keys(self) -> JsonObject:
        """The key ids of the ring and the newest one."""
        return self._call("vault.keys")

    def add_key(self, id: Optional[str] = None) -> JsonObject:
        """Adds a fresh key (the newest from now on); returns its id."""
        return self._call("vault.add_key", **_given(id=id))

    def rewrap(self) -> JsonObject:
        """Re-encrypts every stored secret with the newest key; returns a report."""
        return self._call("vault.rewrap")
