"""`python -m target_mailchimp`."""

from target_mailchimp.target import TargetMailchimp

TargetMailchimp.cli()
