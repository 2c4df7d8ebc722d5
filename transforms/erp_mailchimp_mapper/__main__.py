"""`python -m erp_mailchimp_mapper`."""

from erp_mailchimp_mapper.mapper import ErpMailchimpMapper

ErpMailchimpMapper.cli()
