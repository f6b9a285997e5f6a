/**
 * Test PKI made with the openssl command at test time: a CA, a server certificate for 127.0.0.1
 * (IP SAN, as RFC 5922 / RFC 6125 check it), an expired server certificate signed by the same CA,
 * a client certificate, and a second, untrusted CA. Nothing is checked in.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Valid 2020-01-01 .. 2020-01-02, same CA and SAN as the server certificate. */
  expiredCert: string;
  expiredKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA nobody trusts. */
  rogueCert: string;
  rogueKey: string;
  /** A second valid server certificate (different subject) to test reloading. */
  server2Cert: string;
  server2Key: string;
  cleanup(): void;
}

function ssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function keyAndCsr(dir: string, name: string, cn: string): void {
  ssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
}

function selfSignedCa(dir: string, name: string, cn: string): void {
  ssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'pki-'));
  selfSignedCa(dir, 'ca', 'b2bua test CA');
  selfSignedCa(dir, 'rogue-ca', 'rogue CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = (name: string, ca: string, ext: string): void =>
    ssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-out', `${name}.pem`, '-days', '2', '-extfile', ext]);
  for (const [name, cn] of [['server', 'b2bua.test'], ['server2', 'b2bua-reloaded.test'], ['expired', 'b2bua.test'], ['client', 'trunk.test'], ['rogue', 'trunk.test']]) {
    keyAndCsr(dir, name, cn);
  }
  sign('server', 'ca', 'server.ext');
  sign('server2', 'ca', 'server.ext');
  sign('client', 'ca', 'client.ext');
  sign('rogue', 'rogue-ca', 'client.ext');
  // `openssl x509` cannot backdate before OpenSSL 3.4; `openssl ca` takes explicit dates.
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca=d', '[d]', 'database=index.txt', `new_certs_dir=${dir}`, 'serial=ca.srl',
    'default_md=sha256', 'policy=p', 'copy_extensions=none', 'x509_extensions=e', '[p]', 'commonName=supplied',
    '[e]', 'subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth', '',
  ].join('\n'));
  ssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr',
    '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-notext']);
  const f = (n: string): string => join(dir, n);
  return {
    dir,
    caCert: f('ca.pem'),
    serverCert: f('server.pem'), serverKey: f('server.key'),
    expiredCert: f('expired.pem'), expiredKey: f('expired.key'),
    clientCert: f('client.pem'), clientKey: f('client.key'),
    rogueCert: f('rogue.pem'), rogueKey: f('rogue.key'),
    server2Cert: f('server2.pem'), server2Key: f('server2.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
