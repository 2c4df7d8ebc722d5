"""The Mailchimp endpoints of one audience (a `list` in the API)."""

from __future__ import annotations

import threading
import typing as t

import requests

from target_mailchimp.client import MailchimpAPIError, RetryableAPIError
from target_mailchimp.members import subscriber_hash

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from target_mailchimp.client import MailchimpClient

# Batch subscribe and static-segment batches both take at most 500 members
# (Mailchimp spec: "Up to 500 members may be added or updated with each API call").
MAX_MEMBERS_PER_CALL = 500


class AudienceNotFoundError(RuntimeError):
    """The configured `list_id` does not exist for these credentials."""


class MailchimpCredentialsError(RuntimeError):
    """Mailchimp refuses the configured API key or access token."""


class MailchimpUnreachableError(RuntimeError):
    """The API root cannot be reached (closed port, wrong host, no network)."""


def _cause(error: Exception) -> str:
    """The innermost reason of a connection error, e.g. `Connection refused`."""
    reason: BaseException = error
    for _ in range(10):  # requests → urllib3 → socket: a few levels deep
        inner = getattr(reason, "reason", None) or reason.__context__
        if not isinstance(inner, BaseException):
            break
        reason = inner
    return str(reason).rsplit("] ", 1)[-1] or type(reason).__name__


class Audience:
    """Members, merge fields and tags (static segments) of one Mailchimp list."""

    def __init__(self, client: MailchimpClient, list_id: str) -> None:
        self.client = client
        self.list_id = list_id
        self._path = f"/lists/{list_id}"
        self._merge_tags: set[str] | None = None
        self._segments: dict[str, int] | None = None
        # Tag writes run in parallel threads: the tag-id cache is shared between them.
        self._segments_lock = threading.RLock()

    def check_exists(self) -> dict[str, t.Any]:
        """Fetch the list, failing with a clear message when it does not exist.

        This is the run's first call, so it also says what to fix when Mailchimp
        cannot be reached or refuses the credentials.
        """
        try:
            found: dict[str, t.Any] = self.client.request(
                "GET", self._path, params={"fields": "id,name"}
            )
        except MailchimpAPIError as error:
            if error.status == 404:
                msg = f"Mailchimp has no audience with list_id {self.list_id!r}: check `list_id`."
                raise AudienceNotFoundError(msg) from error
            if error.status in (401, 403) and not isinstance(error, RetryableAPIError):
                msg = (
                    f"Mailchimp refused the credentials ({error.status} {error.title}: "
                    f"{error.detail}): check `api_key` (or `access_token`) and its data center."
                )
                raise MailchimpCredentialsError(msg) from error
            raise
        except (requests.ConnectionError, requests.Timeout) as error:
            msg = (
                f"Cannot reach Mailchimp at {self.client.api_root} ({_cause(error)}): check "
                "`base_url` (or `data_center`) and that this machine can reach it."
            )
            raise MailchimpUnreachableError(msg) from error
        return found

    def merge_tags(self) -> set[str]:
        """The tags of the list's merge fields (FNAME, ADDRESS, …)."""
        if self._merge_tags is None:
            self._merge_tags = {
                field["tag"]
                for field in self.client.paginate(
                    f"{self._path}/merge-fields",
                    "merge_fields",
                    params={"fields": "merge_fields.tag,total_items"},
                )
            }
        return self._merge_tags

    def create_merge_field(self, tag: str, field_type: str) -> None:
        """Create one merge field; a concurrent creation of the same tag is fine."""
        try:
            self.client.request(
                "POST",
                f"{self._path}/merge-fields",
                json={"name": tag, "tag": tag, "type": field_type},
            )
        except MailchimpAPIError as error:
            if "already exists" not in error.detail:
                raise
        self.merge_tags().add(tag)

    def changed_members(self, since: str | None) -> Iterator[dict[str, t.Any]]:
        """Email, status and last change of members changed since a time (all if None)."""
        params: dict[str, t.Any] = {
            "fields": "members.email_address,members.status,members.last_changed,total_items",
            "sort_field": "last_changed",
            "sort_dir": "ASC",
        }
        if since:
            params["since_last_changed"] = since
        return self.client.paginate(f"{self._path}/members", "members", params=params)

    def batch_subscribe(self, members: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        """Create or update up to 500 members in one call (always HTTP 200)."""
        response: dict[str, t.Any] = self.client.request(
            "POST", self._path, json={"members": members, "update_existing": True}
        )
        return response

    def add_tags(self, additions: dict[str, set[str]]) -> dict[str, str]:
        """Add tags to members through batch subscribe, 500 members a call whatever the
        tags; returns the addresses not tagged, with why.

        Each member is sent with its address and tags only: no `status`, so its
        subscription stays as it is, and no `sync_tags`, so tags are only added.
        """
        failed: dict[str, str] = {}
        members = sorted(additions)
        for start in range(0, len(members), MAX_MEMBERS_PER_CALL):
            chunk = members[start : start + MAX_MEMBERS_PER_CALL]
            try:
                response = self.batch_subscribe(
                    [{"email_address": email, "tags": sorted(additions[email])} for email in chunk]
                )
            except RetryableAPIError:
                raise  # retries exhausted: the run stops and state does not move on
            except MailchimpAPIError as error:
                failed.update({email: f"tags not added: {error}" for email in chunk})
                continue
            written = {
                str(member.get("email_address", "")).lower()
                for key in ("updated_members", "new_members")
                for member in response.get(key) or []
            }
            errors = {
                str(error.get("email_address", "")).lower(): error
                for error in response.get("errors") or []
            }
            for email in chunk:
                if email.lower() not in written:
                    error = errors.get(email.lower()) or {}
                    failed[email] = "tags not added: " + str(
                        error.get("error") or "Mailchimp returned no result for it"
                    )
        return failed

    def change_email(self, old_email: str, new_email: str) -> dict[str, t.Any]:
        """Change a subscribed member's address in place."""
        response: dict[str, t.Any] = self.client.request(
            "PATCH",
            f"{self._path}/members/{subscriber_hash(old_email)}",
            json={"email_address": new_email},
        )
        return response

    def archive(self, email: str) -> None:
        """Archive a member (Mailchimp's DELETE keeps the contact's history)."""
        self.client.request("DELETE", f"{self._path}/members/{subscriber_hash(email)}")

    def tag_segment_ids(self) -> dict[str, int]:
        """Tags by name with their static segment ids (tags are static segments)."""
        with self._segments_lock:
            if self._segments is None:
                self._segments = self._read_tags()
            return self._segments

    def _read_tags(self) -> dict[str, int]:
        return {
            segment["name"]: segment["id"]
            for segment in self.client.paginate(
                f"{self._path}/segments",
                "segments",
                params={"type": "static", "fields": "segments.id,segments.name,total_items"},
            )
        }

    def tag_id(self, name: str) -> int:
        """A tag's id, creating the tag (an empty static segment) when it is new."""
        with self._segments_lock:
            known = self.tag_segment_ids().get(name)
            if known is not None:
                return known
            try:
                segment = self.client.request(
                    "POST", f"{self._path}/segments", json={"name": name, "static_segment": []}
                )
            except MailchimpAPIError as error:
                if "already exists" not in error.detail:
                    raise
                self._segments = self._read_tags()  # created meanwhile elsewhere
                return self._segments[name]
            self._segments[name] = int(segment["id"])  # type: ignore[index]
            return int(segment["id"])

    def update_tag(self, segment_id: int, add: list[str], remove: list[str]) -> dict[str, t.Any]:
        """Add and remove up to 500 members each to or from one tag."""
        body: dict[str, list[str]] = {}
        if add:
            body["members_to_add"] = add
        if remove:
            body["members_to_remove"] = remove
        response: dict[str, t.Any] = self.client.request(
            "POST", f"{self._path}/segments/{segment_id}", json=body
        )
        return response
