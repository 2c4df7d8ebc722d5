"""Singer tap for Oracle NetSuite (SuiteQL over REST)."""
