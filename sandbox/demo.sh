#!/usr/bin/env bash
# `make demo`: start the emulators, run the NetSuite → Mailchimp pipeline with Meltano, change a
# few NetSuite records, run it again (only the changes move), show what landed, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .sandbox
rm -f .sandbox/demo-audit.db .sandbox/demo-meltano.db
# A fresh audit store and Meltano state, so every demo starts from a first load.
export TARGET_MAILCHIMP_AUDIT_DATABASE_URL="sqlite:///$PWD/.sandbox/demo-audit.db"
export MELTANO_DATABASE_URI="sqlite:///$PWD/.sandbox/demo-meltano.db"
MAILCHIMP_URL="http://127.0.0.1:8080"
NETSUITE_URL="http://127.0.0.1:8081"

FUSION_URL="http://127.0.0.1:8082"
ACUMATICA_URL="http://127.0.0.1:8083"
JDE_URL="http://127.0.0.1:8084"
EXACT_URL="http://127.0.0.1:8085"
# tap-exact's token store, fresh per demo (the sandbox environment's file otherwise).
export TAP_EXACT_TOKEN_STORE_URL="$PWD/.sandbox/demo-exact-token"
rm -f "$TAP_EXACT_TOKEN_STORE_URL"
erp-sandbox serve --mailchimp-port 8080 --netsuite-port 8081 --fusion-port 8082 \
  --acumatica-port 8083 --jde-port 8084 --exact-port 8085 \
  > .sandbox/demo-sandbox.log 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "erp-sandbox: ready" .sandbox/demo-sandbox.log 2>/dev/null && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat .sandbox/demo-sandbox.log; exit 1; }
  sleep 0.2
done
echo "== Sandbox up: Mailchimp $MAILCHIMP_URL, NetSuite $NETSUITE_URL, Fusion $FUSION_URL,"
echo "   Acumatica $ACUMATICA_URL, JD Edwards $JDE_URL, Exact Online $EXACT_URL"
echo "   (seeded ERP accounts; log in .sandbox/demo-sandbox.log)"

run() {  # run(job, log name): the job, then its summary lines
  meltano --environment=sandbox run "$1" 2> ".sandbox/demo-$2.log" || {
    tail -40 ".sandbox/demo-$2.log"; exit 1; }
  grep -E "→ .*written" ".sandbox/demo-$2.log" | sed 's/^.*erp-mailchimp-mapper */  mapping: /'
  grep -A 6 "summary:" ".sandbox/demo-$2.log" | sed 's/^.*summary:/  target-mailchimp:/' \
    | grep -v "METRIC\|Block run\|\[info" || true
}

echo
echo "== meltano run netsuite-to-mailchimp (first load)"
run netsuite-to-mailchimp netsuite-1

echo
echo "== Changing NetSuite records in the emulator"
python sandbox/demo_changes.py netsuite "$NETSUITE_URL"

echo
echo "== meltano run netsuite-to-mailchimp (incremental: only the changes move)"
run netsuite-to-mailchimp netsuite-2

echo
echo "== Notification-driven sync: erp-webhooks receives NetSuite's user-event notification"
erp-webhooks serve --config webhooks/webhooks.sandbox.yml > .sandbox/demo-webhooks.log 2>&1 &
webhooks_pid=$!
trap 'kill "$webhooks_pid" "$sandbox_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  python -c 'import urllib.request as u; u.urlopen("http://127.0.0.1:8090/health")' \
    2>/dev/null && break
  kill -0 "$webhooks_pid" 2>/dev/null || { cat .sandbox/demo-webhooks.log; exit 1; }
  sleep 0.2
done
WEBHOOK_URL="http://127.0.0.1:8090/netsuite/sandbox-netsuite-path-secret" \
  python sandbox/demo_changes.py netsuite-notification "$NETSUITE_URL"
python sandbox/demo_changes.py wait-for-run http://127.0.0.1:8090/health netsuite-to-mailchimp
grep -E '"(request accepted|run started|run finished)"' .sandbox/demo-webhooks.log \
  | python -c 'import json, sys
for line in sys.stdin:
    e = json.loads(line)
    keep = ("path", "status", "record_type", "record_id", "job", "run", "exit_code", "events")
    print("  erp-webhooks:", e["event"], {k: e[k] for k in keep if k in e})'
kill "$webhooks_pid"; wait "$webhooks_pid" 2>/dev/null || true

echo
echo "== meltano run oracle-fusion-to-mailchimp (first load)"
run oracle-fusion-to-mailchimp fusion-1

echo
echo "== Changing Oracle Fusion records in the emulator"
python sandbox/demo_changes.py fusion "$FUSION_URL"

echo
echo "== meltano run oracle-fusion-to-mailchimp (incremental: the same member gets the new address)"
run oracle-fusion-to-mailchimp fusion-2

echo
echo "== meltano run acumatica-to-mailchimp (first load)"
run acumatica-to-mailchimp acumatica-1

echo
echo "== Changing an Acumatica contact in the emulator"
python sandbox/demo_changes.py acumatica "$ACUMATICA_URL"

echo
echo "== meltano run acumatica-to-mailchimp (incremental: the contact is unsubscribed)"
run acumatica-to-mailchimp acumatica-2

echo
echo "== meltano run jde-to-mailchimp (first load)"
run jde-to-mailchimp jde-1

echo
echo "== Changing JD Edwards records in the emulator"
python sandbox/demo_changes.py jde "$JDE_URL"

echo
echo "== meltano run jde-to-mailchimp (incremental: the new address and the move)"
run jde-to-mailchimp jde-2

echo
echo "== tap-exact authorize (the one-time OAuth consent; the emulator answers for the user)"
meltano --environment=sandbox invoke tap-exact authorize \
  --code "$(python sandbox/demo_changes.py exact-code "$EXACT_URL")" 2>&1 | grep "Authorized"

echo
echo "== meltano run exact-to-mailchimp (first load)"
run exact-to-mailchimp exact-1

echo
echo "== Changing Exact Online records in the emulator"
python sandbox/demo_changes.py exact "$EXACT_URL"

echo
echo "== meltano run exact-to-mailchimp (incremental: the new account, the new address, the refund)"
run exact-to-mailchimp exact-2

echo
echo "== What landed in the emulated Mailchimp"
erp-sandbox summary --mailchimp-url "$MAILCHIMP_URL"
echo
echo "Audit trail: $TARGET_MAILCHIMP_AUDIT_DATABASE_URL (table audit_events)"
