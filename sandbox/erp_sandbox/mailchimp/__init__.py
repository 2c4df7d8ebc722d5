"""Emulator of the Mailchimp Marketing API v3 (members, merge fields, tags, segments,
batch subscribe, e-commerce)."""

from erp_sandbox.mailchimp.emulator import MailchimpEmulator
from erp_sandbox.mailchimp.settings import (
    DEFAULT_API_KEY,
    DEFAULT_DC,
    DEFAULT_LIST_ID,
    DEFAULT_OAUTH_TOKEN,
    DEFAULT_PORT,
    FakeEmailRule,
    MailchimpSettings,
)
from erp_sandbox.mailchimp.store import subscriber_hash

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_DC",
    "DEFAULT_LIST_ID",
    "DEFAULT_OAUTH_TOKEN",
    "DEFAULT_PORT",
    "FakeEmailRule",
    "MailchimpEmulator",
    "MailchimpSettings",
    "subscriber_hash",
]
