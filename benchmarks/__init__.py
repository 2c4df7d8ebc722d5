"""Performance benchmarks: every ERP → Mailchimp pipeline against the emulators at N
customers and N orders, with per-call latency, compared with a sequential per-record loader.

`make bench` (or `python -m benchmarks`) writes `benchmarks/RESULTS.md` and
`benchmarks/results.png`; `tests/test_benchmark_quick.py` runs a small N inside `make test`
and asserts the call-count floors.
"""
