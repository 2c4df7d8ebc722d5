#!/usr/bin/env bash
# `make demo`: start the emulators, load the sample data through Meltano into the emulated
# Mailchimp, load it again (nothing changes, so nothing is written), show what landed, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .sandbox
rm -f .sandbox/demo-audit.db
export TARGET_MAILCHIMP_AUDIT_DATABASE_URL="sqlite:///$PWD/.sandbox/demo-audit.db"
MAILCHIMP_URL="http://127.0.0.1:8080"

erp-sandbox serve --mailchimp-port 8080 --seed-file sandbox/samples/demo-seed.json \
  > .sandbox/demo-sandbox.log 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  erp-sandbox summary --mailchimp-url "$MAILCHIMP_URL" >/dev/null 2>&1 && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat .sandbox/demo-sandbox.log; exit 1; }
  sleep 0.2
done
echo "== Sandbox up at $MAILCHIMP_URL (Mailchimp emulator; log in .sandbox/demo-sandbox.log)"
echo "   Seeded: hannah.schmidt@alpenholz.at has unsubscribed in Mailchimp."

load() {  # load(run number): the sample members, then the sample e-commerce data
  cat sandbox/samples/members.singer sandbox/samples/ecommerce.singer \
    | meltano --environment=sandbox invoke target-mailchimp > ".sandbox/demo-state-$1.json" \
      2> ".sandbox/demo-load-$1.log"
  grep -A 6 "summary:" ".sandbox/demo-load-$1.log" | sed 's/^.*summary:/Run summary:/' \
    | grep -v "METRIC" || true
}

echo
echo "== Loading sandbox/samples/{members,ecommerce}.singer through Meltano into the emulated Mailchimp"
load 1

echo
echo "== Loading the same data again: unchanged records are not sent"
load 2

echo
echo "== What landed in the emulated Mailchimp"
erp-sandbox summary --mailchimp-url "$MAILCHIMP_URL"
echo
echo "Audit trail: $TARGET_MAILCHIMP_AUDIT_DATABASE_URL (table audit_events)"
