"""Webhook receiver: ERP and Mailchimp notifications become prompt, safe Meltano runs."""
