/**
 * A real S3-compatible server for tests: moto's server mode (Python, PyPI `moto[server]`,
 * linked or installed by scripts/setup.sh as .venv-moto/bin/moto_server), started on a free loopback port with request
 * authentication on: after the first three unauthenticated actions (the IAM user, its policy and
 * its access key, made here), every request must carry a valid SigV4 signature of that key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from './ports';

export interface MotoS3 {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  close(): Promise<void>;
}

function motoBinary(): string {
  const venv = resolve(__dirname, '../../../.venv-moto/bin/moto_server');
  return process.env.MOTO_SERVER ?? (existsSync(venv) ? venv : 'moto_server');
}

async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  // Routed to IAM by the credential scope; not verified (one of the initial unauthenticated actions).
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=AKIASETUP/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00' },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`moto IAM ${params.Action}: ${res.status} ${text.slice(0, 200)}`);
  return text;
}

export async function startMoto(): Promise<MotoS3> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(motoBinary(), ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: '3' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const close = async (): Promise<void> => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  };
  try {
    const end = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
      const up = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
      if (up) break;
      if (Date.now() > end) throw new Error(`moto_server not up in 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await iam(endpoint, { Action: 'CreateUser', UserName: 'recorder' });
    await iam(endpoint, {
      Action: 'PutUserPolicy', UserName: 'recorder', PolicyName: 's3',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    });
    const key = await iam(endpoint, { Action: 'CreateAccessKey', UserName: 'recorder' });
    const accessKeyId = /<AccessKeyId>([^<]+)</.exec(key)?.[1];
    const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(key)?.[1];
    if (!accessKeyId || !secretAccessKey) throw new Error('moto: no access key');
    return { endpoint, accessKeyId, secretAccessKey, close };
  } catch (err) {
    await close();
    throw err;
  }
}
