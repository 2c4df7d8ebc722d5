"""Singer tap for Oracle Fusion Cloud ERP (REST)."""
