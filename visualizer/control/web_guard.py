"""Who may drive the show through the web remote.

Three checks, on every request and every WebSocket before anything else:

- **Host**: the name the browser asked for must be one this machine
  answers to (127.0.0.1, localhost, ::1; when listening beyond this machine
  also any IP address and this machine's own name), with our port. A page
  on another site that rebinds its DNS name to 127.0.0.1 (DNS rebinding)
  still sends its own name, and is refused.
- **Origin**: a browser names the page a request comes from; it must be
  this very server. A page open in the performer's own browser cannot post
  commands, open the WebSocket, or read the state (cross-site requests).
  ``Sec-Fetch-Site``, where a browser sends it, must say the same.
  Clients that are not browsers (curl, a script) send neither header.
- **PIN** (only when listening beyond this machine, ``--web-host``): every
  client shows it once (the page's PIN pad, the QR code's ``?pin=``, or an
  ``X-Visualizer-Pin`` header); the page then holds a cookie derived from
  it. Wrong PINs are answered 401 and limited: a few tries per address and
  a slow trickle for everyone together, after which every try is answered
  429 (right or wrong) until the limit refills.

The checks are plain functions of the request's headers, so they are
tested without a server.
"""

import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from collections import OrderedDict

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
PIN_HEADER = "X-Visualizer-Pin"
COOKIE = "visualizer_remote"
PIN_DIGITS = 6
TRIES_PER_CLIENT = 5          # wrong PINs one address may give at once ...
CLIENT_REFILL_S = 10.0        # ... and then one more every this many seconds
TRIES_IN_ALL = 20             # the same for every address together
ALL_REFILL_S = 3.0            # (a million PINs at one try in 3 s: 17 days on average)
_CLIENTS_KEPT = 1024          # addresses whose tries are remembered


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as given to ``--web-host``) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_pin() -> str:
    """A random PIN of ``PIN_DIGITS`` digits."""
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


class Refused(Exception):
    """A request the guard turns away: ``status`` (401, 403, 429) and why.
    ``quiet``: a first visit that has not given the PIN yet, no mistake."""

    def __init__(self, status: int, why: str, retry_after: int = 0, quiet: bool = False):
        super().__init__(why)
        self.status, self.retry_after, self.quiet = status, retry_after, quiet


class _Bucket:
    """A token bucket: ``capacity`` tries, one more every ``refill`` seconds."""

    def __init__(self, capacity: int, refill: float, now: float):
        self.capacity, self.refill = capacity, refill
        self.tokens, self.at = float(capacity), now

    def level(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) / self.refill)
        self.at = now
        return self.tokens

    def wait(self, now: float) -> int:
        """Whole seconds until the next try."""
        return max(1, round((1.0 - self.level(now)) * self.refill + 0.5))


class Guard:
    """The checks for a server listening on ``host``:``port`` (``pin``:
    None for no PIN, which only a loopback server may do)."""

    def __init__(self, host: str, port: int, pin: str | None, *, clock=time.monotonic):
        self.port, self.pin, self._clock = port, pin, clock
        self.loopback = is_loopback(host)
        if pin is None and not self.loopback:
            raise ValueError("a web remote beyond this machine needs a PIN")
        names = {"127.0.0.1", "localhost", "[::1]"}
        if not self.loopback:
            hostname = socket.gethostname().lower()
            names |= {hostname, hostname + ".local"}
        self._names = frozenset(names)
        self.token = (hmac.new(pin.encode(), b"visualizer web remote", hashlib.sha256).hexdigest()
                      if pin is not None else "")
        self._clients: OrderedDict[str, _Bucket] = OrderedDict()
        self._all = _Bucket(TRIES_IN_ALL, ALL_REFILL_S, clock())
        self.wrong = 0      # wrong PINs (or cookies) given
        self.limited = 0    # tries answered 429

    # -- Host and Origin ------------------------------------------------------

    def host_ok(self, host: str | None) -> bool:
        """Whether the Host header names this server (no DNS rebinding)."""
        if not host or len(host) > 300:
            return False
        host = host.lower()
        if host.startswith("["):
            name, _, rest = host.partition("]")
            name, port = name + "]", rest[1:] if rest.startswith(":") else None
            if rest and port is None:
                return False
        else:
            name, colon, port = host.rpartition(":")
            if not colon:
                name, port = host, None
        if port is None:
            port_ok = self.port == 80
        else:
            port_ok = port.isdigit() and port.isascii() and int(port) == self.port
        return port_ok and (name in self._names or (not self.loopback and _is_ip(name)))

    def check_site(self, host: str | None, origin: str | None, fetch_site: str | None, *,
                   page: bool = False) -> None:
        """Raise :class:`Refused` (403) for a request from another site or
        for another name. ``page``: the page itself and its files, which a
        link from anywhere may open (they hold no state and change none)."""
        if not self.host_ok(host):
            raise Refused(403, "this server does not answer to that name (Host)")
        if origin is not None and origin != f"http://{host.lower()}":
            raise Refused(403, "requests from another site are refused (Origin)")
        if not page and fetch_site not in (None, "same-origin", "none"):
            raise Refused(403, "requests from another site are refused (Sec-Fetch-Site)")

    # -- the PIN ----------------------------------------------------------------

    def admit(self, client: str, *, cookie: str | None = None,
              pin: str | None = None) -> bool:
        """Whether the client may in: True with the right PIN or cookie (or
        no PIN needed); raises :class:`Refused` 401 for a wrong or missing
        one, 429 while its tries are used up. True means ``pin`` was given
        and right: the caller sets the cookie."""
        if self.pin is None:
            return False
        if pin is None and cookie is not None and hmac.compare_digest(
                cookie.encode("utf-8", "replace"), self.token.encode()):
            return False
        if pin is None and cookie is None:
            raise Refused(401, "this remote needs its PIN (shown on the show's HUD)", quiet=True)
        now = self._clock()
        bucket = self._bucket(client, now)
        if bucket.level(now) < 1.0 or self._all.level(now) < 1.0:
            self.limited += 1
            wait = max(bucket.wait(now) if bucket.tokens < 1.0 else 0,
                       self._all.wait(now) if self._all.tokens < 1.0 else 0)
            raise Refused(429, f"too many wrong PINs: try again in {wait} s", retry_after=wait)
        given = (pin if pin is not None else cookie or "").encode("utf-8", "replace")
        right = self.pin.encode() if pin is not None else self.token.encode()
        if hmac.compare_digest(given, right):
            return pin is not None
        self.wrong += 1
        bucket.tokens -= 1.0
        self._all.tokens -= 1.0
        raise Refused(401, "wrong PIN" if pin is not None else "the remote's PIN has changed: "
                      "give the new one")

    def _bucket(self, client: str, now: float) -> _Bucket:
        bucket = self._clients.get(client)
        if bucket is None:
            bucket = self._clients[client] = _Bucket(TRIES_PER_CLIENT, CLIENT_REFILL_S, now)
            while len(self._clients) > _CLIENTS_KEPT:
                self._clients.popitem(last=False)
        self._clients.move_to_end(client)
        return bucket


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True
