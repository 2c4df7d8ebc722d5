"""Maps ERP tap records to target-mailchimp's input contract."""
