// ExecStartPre of ns-kiosk.service, and an operator's check after editing /etc/ns-kiosk/:
//   /opt/ns-kiosk/node/bin/node /opt/ns-kiosk/app/bin/check-config.mjs
// Validates KIOSK_CONFIG (default /etc/ns-kiosk/config.json) with the kiosk's own schema
// (dist/main/config.js), then the rules of the appliance on top: real hardware only, no tester
// API, a remote back office over https (or http to a loopback proxy), card keys from a file only root and ns-kiosk can read, and
// the data directory the unit lets the kiosk write. Exit 0: fine; exit 2: invalid, with one line
// per problem on stderr (journald keeps it). Changes nothing.
import { accessSync, constants, statSync } from 'node:fs';
import { loadConfig } from '../dist/main/config.js';

const env = { ...process.env, KIOSK_CONFIG: process.env.KIOSK_CONFIG || '/etc/ns-kiosk/config.json' };
const DATA_DIR = process.env.NS_KIOSK_DATA_DIR_EXPECTED || '/var/lib/ns-kiosk';

function fail(problems) {
  for (const p of problems) process.stderr.write(`ns-kiosk: ${env.KIOSK_CONFIG}: ${p}\n`);
  process.exit(2);
}

/** https, or http to this machine only (a local TLS-terminating proxy such as stunnel). */
function isHttpsOrLoopback(url) {
  const u = new URL(url);
  return u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname));
}

let config;
try {
  config = loadConfig({ env, cwd: '/opt/ns-kiosk/app' });
} catch (e) {
  fail([e instanceof Error ? e.message : String(e)]);
}

const problems = [];
if (config.hardware.card.mode !== 'real' || config.hardware.payment.mode !== 'real')
  problems.push(`hardware must be "real" on the appliance (card: ${config.hardware.card.mode}, payment: ${config.hardware.payment.mode}); emulators are for testers`);
if (config.tester) problems.push('tester must be false on the appliance');
if (config.backOffice.mode !== 'remote') problems.push('backOffice.mode must be "remote": the reference back office is not part of the appliance');
else if (config.backOffice.url && !isHttpsOrLoopback(config.backOffice.url))
  problems.push(`backOffice.url must be https:// (plain http only to a loopback proxy; got ${config.backOffice.url})`);
if (config.dataDir !== DATA_DIR) problems.push(`dataDir must be ${DATA_DIR}: the service may write nowhere else`);
if (!['127.0.0.1', '::1', 'localhost'].includes(config.host.host))
  problems.push(`host.host must be a loopback address (got ${config.host.host}): only the kiosk's own browser may reach it`);
const keyFile = config.hardware.card.keyFile;
if (!keyFile) problems.push('hardware.card.keyFile is required: the shipped emulation keys are not in the appliance');
else {
  try {
    accessSync(keyFile, constants.R_OK);
    const st = statSync(keyFile);
    if (st.mode & 0o004) problems.push(`${keyFile} is readable by every user: chmod 0640, owner root:ns-kiosk`);
  } catch (e) {
    problems.push(`hardware.card.keyFile ${keyFile} cannot be read: ${e.code ?? e.message}`);
  }
}
if (problems.length) fail(problems);
process.stdout.write(`ns-kiosk: configuration ${env.KIOSK_CONFIG} is valid (kiosk ${config.kioskId}, back office ${config.backOffice.url})\n`);
