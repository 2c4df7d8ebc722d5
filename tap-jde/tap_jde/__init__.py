"""Singer tap for Oracle JD Edwards EnterpriseOne through the AIS Server."""
