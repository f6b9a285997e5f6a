/**
 * The service with `engine.embedded = false`, as docker-compose runs it against drachtio-server:
 * the SIP engine runs as its own process (`node dist/src/engine/bin.js`, speaking the drachtio
 * wire protocol like drachtio-server) and the service's drachtio-srf app connects to it by
 * host/port/secret. Phones register and call through that process.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';
import { freePorts } from '../../helpers/ports';
import { startTestService, type TestService } from '../../helpers/service';
import { addCallflow, addDevice, answerOn, bridged, callFrom, ended, nextCall, registerPhone, seedAccount } from '../calls/setup';
import { sample } from './fixtures/prom-text';

const ENGINE = resolve(__dirname, '..', '..', '..', 'src', 'engine', 'bin.js');

t.test('call control over an external drachtio endpoint', async (t) => {
  const [sipPort, drachtioPort] = await freePorts(2);
  const engine = spawn(process.execPath, [ENGINE], {
    env: {
      PATH: process.env.PATH ?? '',
      B2BUA_LOG_LEVEL: 'warn',
      B2BUA_ENGINE__SIP__LISTEN: JSON.stringify([{ host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'] }]),
      B2BUA_ENGINE__DRACHTIO__HOST: '127.0.0.1',
      B2BUA_ENGINE__DRACHTIO__PORT: String(drachtioPort),
      B2BUA_ENGINE__DRACHTIO__SECRET: 'external-secret',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => engine.on('exit', (code) => r(code)));
  t.teardown(async () => {
    engine.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    engine.kill('SIGKILL');
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('engine did not start')), 15_000);
    engine.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('"ready"')) { clearTimeout(timer); res(); } });
  });

  const base: TestService = await startTestService({
    config: {
      engine: {
        embedded: false,
        drachtio: { host: '127.0.0.1', port: drachtioPort, secret: 'external-secret' },
        sip: { listen: [{ host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'] }] },
      },
    },
  });
  // The phones talk to the engine process, not to a port of the service.
  const svc: TestService = { ...base, sipPort, sipTarget: `127.0.0.1:${sipPort}` };
  t.teardown(() => base.close());
  t.equal(svc.service.engine, undefined, 'no embedded engine started');

  const accountId = await seedAccount(svc);
  const callee = await addDevice(svc, accountId, '2001');
  await addDevice(svc, accountId, '1001');
  await addCallflow(svc, accountId, ['2000'], { module: 'device', data: { id: callee } });
  const a = await registerPhone(svc, '1001');
  const b = await registerPhone(svc, '2001');
  const uas = answerOn(b.port, 'phone-answer.xml', b.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: '1001', number: '2000', rtpPort: a.rtp.port, port: a.port });
  const call = await callP;
  await bridged(call);
  t.equal(call.direction?.label, 'onnet_to_onnet');
  const [ra, rb] = await Promise.all([uac, uas.done]);
  t.equal(ra.code, 0, `caller ${ra.errors}`);
  t.equal(rb.code, 0, `callee ${rb.errors}`);
  await ended(call);
  const m = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  t.equal(sample(m, 'b2bua_registrations'), 2, 'both phones registered through the external engine');
  t.equal(sample(m, 'b2bua_calls_total', { caller: 'onnet', callee: 'onnet', outcome: 'answered' }), 1, 'the call counted');
  t.equal(sample(m, 'b2bua_sip_transactions_total', { kind: 'server' }), undefined, 'no engine counters without an embedded engine');
  a.rtp.close();
  b.rtp.close();
});
