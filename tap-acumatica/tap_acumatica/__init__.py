"""Singer tap for Acumatica (contract-based REST API)."""
