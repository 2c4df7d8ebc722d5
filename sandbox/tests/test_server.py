"""Serving: the background server answers kept-alive connections promptly."""

from __future__ import annotations

import statistics
import time

import requests

from erp_sandbox.mailchimp import MailchimpEmulator


def test_kept_alive_connections_are_answered_without_a_delayed_ack_stall(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    # Without TCP_NODELAY on accepted sockets each request after the first on a
    # connection waited ~40 ms for the client's delayed ACK.
    durations = []
    for _ in range(10):
        started = time.perf_counter()
        assert mailchimp_api.get("/ping").status_code == 200
        durations.append(time.perf_counter() - started)
    assert statistics.median(durations[1:]) < 0.02
