/**
 * A throwaway PKI made at run time with the system's openssl (never a checked-in key): an operator
 * CA, a back-office certificate it issues for 127.0.0.1/localhost, and — for attacks — a rogue CA
 * with its own certificate for the same names and an operator-issued certificate for another name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Pki {
  dir: string;
  caPem: string;
  caFile: string;
  server: { key: string; cert: string };
  /** Issued by the operator CA, but for another host name. */
  wrongName: { key: string; cert: string };
  rogueCaPem: string;
  /** Issued by the rogue CA for the right names. */
  rogue: { key: string; cert: string };
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function issue(dir: string, ca: string, name: string, san: string): { key: string; cert: string } {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  return { key: readFileSync(path.join(dir, `${name}.key`), 'utf8'), cert: readFileSync(path.join(dir, `${name}.pem`), 'utf8') };
}

export function makeTestPki(): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-pki-'));
  makeCa(dir, 'operator-ca');
  makeCa(dir, 'rogue-ca');
  const localNames = 'IP:127.0.0.1,DNS:localhost';
  return {
    dir,
    caPem: readFileSync(path.join(dir, 'operator-ca.pem'), 'utf8'),
    caFile: path.join(dir, 'operator-ca.pem'),
    server: issue(dir, 'operator-ca', 'backoffice', localNames),
    wrongName: issue(dir, 'operator-ca', 'elsewhere', 'DNS:elsewhere.example'),
    rogueCaPem: readFileSync(path.join(dir, 'rogue-ca.pem'), 'utf8'),
    rogue: issue(dir, 'rogue-ca', 'rogue', localNames),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
