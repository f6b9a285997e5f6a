/**
 * The lame spawner: a small, long-lived helper process started once by the service, which
 * starts the lame encoders so the service (hundreds of MB, many threads) never forks itself
 * per recording. Usage: node spawner-main.js <socket path> <lame binary>: it starts that
 * binary only (whoever reaches the socket, a 0700 directory, cannot make it run anything else). It prints `ready` once listening
 * and exits when its stdin (a pipe from the service) ends, i.e. when the service is gone.
 * Only node:net, node:child_process, node:os, node:fs and node:path (and priority.ts, the same): its own fork per encoder stays small.
 */
import { createServer, type Socket } from 'node:net';
import { rmSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { lines, type FromSpawner, type ToSpawner } from './protocol';
import { spawnAt } from './priority';

const path = process.argv[2];
const allowedBin = process.argv[3];
if (path === undefined || allowedBin === undefined) throw new Error('usage: spawner-main <socket path> <lame binary>');
const controls = new Map<number, Socket>();
let nextCid = 1;

function tell(cid: number, m: FromSpawner): void {
  const c = controls.get(cid);
  if (c !== undefined && !c.destroyed) c.write(`${JSON.stringify(m)}\n`);
}

function startLame(sock: Socket, m: Extract<ToSpawner, { t: 'data' }>): void {
  let child;
  if (m.bin !== allowedBin) {
    tell(m.cid, { t: 'error', id: m.id, message: `refused to start ${m.bin}: not the configured encoder` });
    sock.destroy();
    return;
  }
  try {
    // The socket's descriptor is duplicated into lame; ours is closed right after.
    child = spawnAt(m.bin, m.args, m.nice, [sock, m.stdout ? sock : 'ignore', 'ignore']);
  } catch (err) {
    tell(m.cid, { t: 'error', id: m.id, message: (err as Error).message });
    sock.destroy();
    return;
  }
  const pid = child.pid;
  child.once('error', (err) => tell(m.cid, { t: 'error', id: m.id, message: err.message }));
  child.once('exit', (code, signal) => tell(m.cid, { t: 'exit', id: m.id, code: code ?? (signal ? -1 : 0) }));
  if (pid !== undefined) tell(m.cid, { t: 'spawned', id: m.id, pid });
  // close(), not shutdown(): lame's copy stays connected.
  sock.destroy();
}

const server = createServer({ allowHalfOpen: true }, (sock) => {
  let buf = '';
  const onData = (chunk: string): void => {
    buf = lines(buf, chunk, (line) => {
      let m: ToSpawner;
      try {
        m = JSON.parse(line) as ToSpawner;
      } catch {
        sock.destroy();
        return;
      }
      if (m.t === 'hello') {
        const cid = nextCid++;
        controls.set(cid, sock);
        sock.once('close', () => controls.delete(cid));
        sock.write(`${JSON.stringify({ t: 'hello', cid } satisfies FromSpawner)}\n`);
        return;
      }
      // A data connection: its one line read, nothing more may be consumed here.
      sock.off('data', onData);
      sock.pause();
      startLame(sock, m);
    });
  };
  sock.setEncoding('utf8');
  sock.on('data', onData);
  sock.on('error', () => sock.destroy());
});
server.listen(path, () => process.stdout.write('ready\n'));
// The service gone (even killed, which leaves no chance for its own close()): the socket and its
// directory go with us, so crashes and restarts do not pile them up in the temp directory.
// rmdir only empties nothing else: it fails on a directory that holds anything but our socket.
process.stdin.on('end', () => {
  rmSync(path, { force: true });
  try {
    rmdirSync(dirname(path));
  } catch {
    // Not empty or already gone (the service's close() removes it too).
  }
  process.exit(0);
});
process.stdin.resume();
