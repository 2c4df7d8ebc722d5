// Runs the shipped SuiteScript under Node with stand-ins for NetSuite's N/ modules
// (Node's crypto behind N/crypto), and prints the request it would send as JSON.
// Usage: node run_user_event_script.js <script> <context JSON> <parameters JSON> <secrets JSON>
'use strict';
const nodeCrypto = require('crypto');
const fs = require('fs');

const [scriptPath, contextJson, parametersJson, secretsJson] = process.argv.slice(2);
const parameters = JSON.parse(parametersJson);
const secrets = JSON.parse(secretsJson);
const sent = [];
const logged = [];

const modules = {
    'N/https': { post: (options) => { sent.push(options); return { code: 202 }; } },
    'N/runtime': {
        accountId: 'TSTDRV1234567',
        getCurrentScript: () => ({ getParameter: ({ name }) => parameters[name] || null }),
    },
    'N/encode': { Encoding: { UTF_8: 'UTF_8', HEX: 'HEX' } },
    'N/crypto': {
        HashAlg: { SHA256: 'sha256' },
        createSecretKey: ({ secret }) => {
            if (!(secret in secrets)) throw Object.assign(new Error('no secret'), { name: 'INVALID_SECRET' });
            return { value: secrets[secret] };
        },
        createHmac: ({ algorithm, key }) => {
            const hmac = nodeCrypto.createHmac(algorithm, key.value);
            return {
                update: ({ input }) => hmac.update(input, 'utf8'),
                digest: () => hmac.digest('hex').toUpperCase(), // NetSuite's hex is uppercase
            };
        },
    },
    'N/log': { error: (entry) => logged.push(entry), debug: () => {}, audit: () => {} },
};

let exported;
global.define = (names, factory) => { exported = factory(...names.map((name) => modules[name])); };
eval(fs.readFileSync(scriptPath, 'utf8')); // eslint-disable-line no-eval

exported.afterSubmit(JSON.parse(contextJson));
process.stdout.write(JSON.stringify({ sent, logged }));
