/**
 * A stand-in for rtpengine used by the supervisor test: answers every NG request with `pong`
 * on the --listen-ng address and IGNORES SIGTERM, so close() must escalate to SIGKILL;
 * after SIGUSR2 it stops answering (a hung rtpengine for the watchdog).
 * Run as `node fake-rtpengine.js <rtpengine args>`.
 */
import { createSocket } from 'node:dgram';

const ng = process.argv.find((a) => a.startsWith('--listen-ng='))?.slice('--listen-ng='.length) ?? '127.0.0.1:22222';
const sep = ng.lastIndexOf(':');
const sock = createSocket('udp4');
let answering = true;
process.on('SIGUSR2', () => {
  answering = false; // simulate a hung rtpengine for the watchdog test
});
sock.on('message', (msg, rinfo) => {
  if (!answering) return;
  const space = msg.indexOf(0x20);
  if (space < 0) return;
  // NG framing: "<cookie> <bencoded dict>"; the reply dict is {result: "pong"}
  sock.send(Buffer.concat([msg.subarray(0, space + 1), Buffer.from('d6:result4:ponge')]), rinfo.port, rinfo.address);
});
sock.bind(Number(ng.slice(sep + 1)), ng.slice(0, sep));
process.on('SIGTERM', () => {
  process.stderr.write('fake rtpengine: ignoring SIGTERM\n');
});
