/**
 * A real softphone in the tests: Debian's baresip (not written here), registering through the
 * product like any desk phone. Its audio source is baresip's own sine generator (`ausine`), its
 * player ALSA's null device; it is driven over its ctrl_tcp module (netstring-framed JSON
 * commands, RFC-less but documented in baresip's modules/ctrl_tcp) and reports its events
 * (REGISTER_OK, CALL_ESTABLISHED, CALL_CLOSED...) the same way. Default codec list unless the
 * test narrows it: baresip offers every codec module loaded (here PCMU and PCMA, plus G.722 when
 * asked), as real phones do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, mediaBlock } from './ports';
import { dieWithParent, findSetpriv } from '../../src/media/orphans';

export interface BaresipOptions {
  /** SIP user (the device's sip.username) and realm (the account's realm). */
  user: string;
  realm: string;
  password: string;
  /** The product's SIP address (outbound proxy), host:port. */
  proxy: string;
  /** Tone this phone sends (Hz). */
  toneHz: number;
  /** Codec modules to load, in preference order (default PCMU and PCMA: baresip's g711 module offers both). */
  codecModules?: readonly string[];
  /** Restrict the account's offer (baresip `audio_codecs`), e.g. ['PCMA', 'PCMU']. */
  audioCodecs?: readonly string[];
  /** Packet time (ms) the phone asks for. */
  ptime?: number;
  transport?: 'udp' | 'tcp' | 'tls';
  /** With TLS: the CA file the phone checks the product's certificate against (baresip `sip_cafile`). */
  caFile?: string;
  /** Media encryption the account asks for (baresip `mediaenc`): SDES `srtp` / `srtp-mand`, or `dtls_srtp`. */
  mediaenc?: 'srtp' | 'srtp-mand' | 'dtls_srtp';
  /** Answer incoming calls at once. */
  autoAnswer?: boolean;
}

export interface BaresipEvent {
  type: string;
  class?: string;
  param?: string;
  peeruri?: string;
  id?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Baresip {
  private readonly events: BaresipEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private buf = Buffer.alloc(0);
  private token = 0;
  /** The last 8 KB baresip printed (for failure messages). */
  output: () => string = () => '';

  private constructor(private readonly proc: ChildProcess, private readonly ctrl: Socket, private readonly dir: string, readonly sipPort: number) {
    ctrl.on('data', (d: Buffer) => this.onData(d));
  }

  /** Starts baresip on free loopback ports and waits for its registration to be accepted. */
  static async start(o: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
    const sipPort = await freePort();
    const ctrlPort = await freePort();
    const rtpMin = mediaBlock(42);
    const modules = o.codecModules ?? ['g711'];
    writeFileSync(join(dir, 'config'), [
      'poll_method epoll',
      'net_interface 127.0.0.1',
      `sip_listen 127.0.0.1:${sipPort}`,
      `rtp_ports ${rtpMin}-${rtpMin + 40}`,
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `audio_source ausine,${o.toneHz}`,
      // ausine generates 48 kHz stereo only; baresip resamples and downmixes to the codec.
      'ausrc_srate 48000',
      'ausrc_channels 2',
      'module_path /usr/lib/baresip/modules',
      ...modules.map((m) => `module ${m}.so`),
      ...(o.caFile ? [`sip_cafile ${o.caFile}`] : []),
      ...(o.mediaenc ? [`module ${o.mediaenc === 'dtls_srtp' ? 'dtls_srtp' : 'srtp'}.so`] : []),
      'module ausine.so',
      'module alsa.so',
      'module_app account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      '',
    ].join('\n'));
    const params = [
      `auth_pass=${o.password}`,
      `outbound="sip:${o.proxy};transport=${o.transport ?? 'udp'}"`,
      'regint=600',
      ...(o.autoAnswer ? ['answermode=auto'] : []),
      ...(o.audioCodecs ? [`audio_codecs=${o.audioCodecs.join(',')}`] : []),
      ...(o.ptime ? [`ptime=${o.ptime}`] : []),
      ...(o.mediaenc ? [`mediaenc=${o.mediaenc}`] : []),
    ];
    writeFileSync(join(dir, 'accounts'), `<sip:${o.user}@${o.realm};transport=${o.transport ?? 'udp'}>;${params.join(';')}\n`);
    // Like the service's rtpengine, the phone dies with the test process even when that is
    // killed (a timed-out run), instead of lingering on its ports.
    const run = dieWithParent(findSetpriv(), 'baresip', ['-f', dir]);
    const proc = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-8000); });
    proc.stderr?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-8000); });
    let ctrl: Socket | undefined;
    for (let i = 0; i < 50 && !ctrl; i++) {
      await sleep(100);
      if (proc.exitCode !== null) break;
      ctrl = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(ctrlPort, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
    }
    if (!ctrl) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`baresip did not start: ${out}`);
    }
    const phone = new Baresip(proc, ctrl, dir, sipPort);
    phone.output = () => out;
    try {
      // The REGISTER may complete before the control connection is up: its console line counts too.
      const registered = (): boolean => / 200 OK \(\) \[\d+ binding/.test(out);
      await Promise.race([
        phone.waitFor((e) => e.type === 'REGISTER_OK', 10_000, `${o.user} registered`),
        (async () => {
          for (let i = 0; i < 100 && !registered(); i++) await sleep(100);
          if (!registered()) throw new Error(`${o.user} not registered`);
        })(),
      ]);
    } catch (err) {
      await phone.close();
      throw new Error(`${(err as Error).message}; baresip said: ${out.slice(-2000)}`);
    }
    return phone;
  }

  /** Sends a ctrl_tcp command (netstring JSON). */
  command(command: string, params = ''): void {
    const body = JSON.stringify({ command, params, token: String(++this.token) });
    this.ctrl.write(`${Buffer.byteLength(body)}:${body},`);
  }

  dial(uri: string): void {
    this.command('dial', uri);
  }

  hangup(): void {
    this.command('hangup');
  }

  hold(): void {
    this.command('hold');
  }

  resume(): void {
    this.command('resume');
  }

  /** Every event seen so far. */
  seen(): readonly BaresipEvent[] {
    return this.events;
  }

  /** Resolves with the first event matching `pred` among those from index `since` on (seen() order). */
  waitFor(pred: (e: BaresipEvent) => boolean, timeoutMs: number, what: string, since = 0): Promise<BaresipEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.slice(since).find(pred);
        if (!e) return false;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(e);
        return true;
      };
      const waiter = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`baresip: timed out waiting for ${what}; events: ${this.events.map((e) => e.type).join(',')}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    this.ctrl.destroy();
    if (this.proc.exitCode === null) {
      this.proc.kill('SIGTERM');
      const exited = new Promise((r) => this.proc.once('exit', r));
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buf.subarray(0, colon).toString());
      if (!Number.isInteger(len) || this.buf.length < colon + 1 + len + 1) return;
      const body = this.buf.subarray(colon + 1, colon + 1 + len).toString();
      this.buf = this.buf.subarray(colon + 1 + len + 1);
      try {
        const msg = JSON.parse(body) as BaresipEvent & { event?: boolean; response?: boolean; ok?: boolean; data?: string };
        if (msg.event) this.events.push(msg);
        else if (msg.response) this.events.push({ type: msg.ok ? 'RESPONSE_OK' : 'RESPONSE_ERROR', ...(msg.data !== undefined ? { param: msg.data } : {}) });
      } catch {
        // not JSON: ignore
      }
      for (const w of [...this.waiters]) w();
    }
  }
}
