/**
 * ERP → Mailchimp: tell the webhook receiver (erp-webhooks) that a record changed.
 *
 * A User Event script, deployed on each record type that feeds Mailchimp (customer,
 * contact, vendor, sales order, invoice, credit memo). After a record is saved or
 * deleted it POSTs
 *
 *   {"recordType":"customer","id":"123","event":"edit","occurredAt":"2026-11-25T17:00:00.000Z","account":"1234567"}
 *
 * to the receiver. The body names the record, nothing more: the incremental Meltano
 * job reads the record itself through SuiteQL, so a lost or repeated notification
 * costs at most a sync, never data.
 *
 * Script parameters (on the script record, values per deployment):
 *   custscript_erp_webhook_url     the receiver URL, e.g. https://hooks.example.com/netsuite/<path secret>
 *   custscript_erp_webhook_secret  optional: script ID of an API Secret (Setup > Company >
 *                                  API Secrets, e.g. custsecret_erp_webhook) whose value
 *                                  is the receiver's receivers.netsuite.hmac_secret; the
 *                                  body is then signed in X-Webhook-Signature
 *
 * A failure to notify never blocks the user's save: it is logged (without the URL) and
 * the next scheduled run picks the change up.
 *
 * @NApiVersion 2.1
 * @NScriptType UserEventScript
 * @NModuleScope SameAccount
 */
define(['N/https', 'N/runtime', 'N/crypto', 'N/encode', 'N/log'], (https, runtime, crypto, encode, log) => {
    // afterSubmit event types worth a sync; view, print, email and the like are not changes.
    const EVENTS = {
        create: 'create',
        edit: 'edit',
        xedit: 'xedit',
        delete: 'delete',
        copy: 'create',
        approve: 'edit',
        reject: 'edit',
        cancel: 'edit',
        pack: 'edit',
        ship: 'edit',
        markcomplete: 'edit',
        paybills: 'edit',
    };

    const signature = (secretId, body) => {
        const key = crypto.createSecretKey({ secret: secretId, encoding: encode.Encoding.UTF_8 });
        const hmac = crypto.createHmac({ algorithm: crypto.HashAlg.SHA256, key });
        hmac.update({ input: body, inputEncoding: encode.Encoding.UTF_8 });
        return 'sha256=' + hmac.digest({ outputEncoding: encode.Encoding.HEX }).toLowerCase();
    };

    const afterSubmit = (context) => {
        const event = EVENTS[String(context.type).toLowerCase()];
        if (!event) {
            return;
        }
        const record = context.newRecord || context.oldRecord;
        const script = runtime.getCurrentScript();
        const url = script.getParameter({ name: 'custscript_erp_webhook_url' });
        if (!url || !record) {
            return;
        }
        const body = JSON.stringify({
            recordType: String(record.type),
            id: String(record.id),
            event,
            occurredAt: new Date().toISOString(),
            account: runtime.accountId,
        });
        const headers = { 'Content-Type': 'application/json' };
        const secretId = script.getParameter({ name: 'custscript_erp_webhook_secret' });
        try {
            if (secretId) {
                headers['X-Webhook-Signature'] = signature(secretId, body);
            }
            // 10 governance units; NetSuite gives up after 5 s to connect, 45 s to send.
            const response = https.post({ url, body, headers });
            if (response.code < 200 || response.code >= 300) {
                log.error({ title: 'ERP webhook refused', details: `${record.type} ${record.id}: HTTP ${response.code}` });
            }
        } catch (error) {
            log.error({ title: 'ERP webhook not delivered', details: `${record.type} ${record.id}: ${error.name}` });
        }
    };

    return { afterSubmit };
});
