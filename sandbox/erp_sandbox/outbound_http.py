"""HTTP requests the emulators make themselves: webhook notifications and URL probes.

One attempt, a timeout, no redirects followed (a 3xx is an answer like any other), and
never an exception: the outcome is ``(status, error)``. A status of 2xx has no error; any
other status or a transport failure is described in ``error``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

Outcome = tuple[int | None, str | None]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Report a redirect as the answer instead of following it."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def send(
    url: str,
    *,
    method: str = "POST",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Outcome:
    """Send one request to ``url`` (http or https only) and describe what came back."""
    if not url.startswith(("http://", "https://")):
        return None, f"not an http(s) URL: {url}"
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, method=method, headers=headers or {}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read()
            status: int = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"callback answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if not 200 <= status < 300:
        return status, f"callback answered {status}"
    return status, None
