"""At most ``EXPORTS_AT_ONCE`` downloads (exports, invoice workbooks) per user at a time, so one person
cannot hold every app server's workers (or database connections) with downloads.

A download takes a slot when its request begins and gives it back when its response is closed: read to
the end, failed, or dropped by the browser (the WSGI server closes the response). With ``REDIS_URL`` the
slots are a sorted set per user in Redis, shared by every gunicorn worker and app server; without it, a
dict in this process (one app server, as in development and the tests). A slot whose worker died
without closing it lapses after ``EXPORT_SLOT_SECONDS``."""

import logging
import threading
import time
import uuid

from flask import current_app
from flask_babel import gettext

log = logging.getLogger(__name__)

_held: dict[tuple[str, int], dict[str, float]] = {}  # (key, user id) -> {slot: taken at}
_lock = threading.Lock()


class Slot:
    """One download's place; ``release`` may be called more than once (and outside any app context)."""

    def __init__(self, release=None):
        self._release = release

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            try:
                release()
            except Exception:  # Redis gone: the slot lapses by itself
                log.exception("releasing an export slot")


def take(user_id: int) -> Slot | None:
    """A slot for one more download of ``user_id``, or None when they already have every one allowed."""
    config = current_app.config
    limit = config["EXPORTS_AT_ONCE"]
    if not limit:
        return Slot()
    ttl, key, token = config["EXPORT_SLOT_SECONDS"], config["EXPORT_SLOTS_KEY"], uuid.uuid4().hex
    if config.get("REDIS_URL"):
        try:
            return _take_in_redis(config["REDIS_URL"], f"{key}:{user_id}", token, limit, ttl)
        except Exception:  # Redis unreachable: the download goes ahead rather than fail
            log.exception("counting export slots in Redis")
            return Slot()
    return _take_here((key, user_id), token, limit, ttl)


def held(slot: Slot, chunks):
    """``chunks`` passed on (and closed); ``slot`` is given back once they end or fail, or when the stream is closed
    (or, should a server never close it, collected). The response's close hook gives it back as well,
    for a stream closed before its first piece."""
    try:
        yield from chunks
    finally:
        slot.release()
        if hasattr(chunks, "close"):  # a file being sent
            chunks.close()


def busy_message() -> str:
    return gettext(
        "You are already exporting %(count)s lists; wait until one of them has finished, then try again.",
        count=current_app.config["EXPORTS_AT_ONCE"],
    )


def _take_here(key, token: str, limit: int, ttl: int) -> Slot | None:
    now = time.monotonic()
    with _lock:
        held = _held.setdefault(key, {})
        for old in [t for t, at in held.items() if at < now - ttl]:
            del held[old]
        if len(held) >= limit:
            return None
        held[token] = now

    def release() -> None:
        with _lock:
            _held.get(key, {}).pop(token, None)

    return Slot(release)


def _take_in_redis(url: str, key: str, token: str, limit: int, ttl: int) -> Slot | None:
    from redis import Redis

    redis = Redis.from_url(url, socket_timeout=5)
    now = time.time()
    # Add first, then count: two workers racing for the last slot may both be refused, never both let in.
    with redis.pipeline() as pipe:
        pipe.zremrangebyscore(key, "-inf", now - ttl)
        pipe.zadd(key, {token: now})
        pipe.zcard(key)
        pipe.expire(key, ttl)
        held = pipe.execute()[2]
    if held > limit:
        redis.zrem(key, token)
        redis.close()
        return None

    def release() -> None:
        try:
            redis.zrem(key, token)
        finally:
            redis.close()

    return Slot(release)
