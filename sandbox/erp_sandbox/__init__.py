"""Local emulators of vendor APIs for testing Singer taps and targets over real HTTP.

Each emulator lives in its own subpackage (``erp_sandbox.mailchimp`` first) and shares the
generic pieces here: fault injection, call logs, OpenAPI contract checks and a background
uvicorn server.
"""

__version__ = "0.1.0"
