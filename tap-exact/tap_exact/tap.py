"""tap-exact: Exact Online (placeholder until the streams land)."""
