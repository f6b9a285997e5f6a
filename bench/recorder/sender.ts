/**
 * Child process of bench:recorder-stages: sends 20 ms PCMU packets to each target port on
 * 127.0.0.1, `rate` packets per second per target, for `seconds`, then reports how many it sent.
 * A separate process, so its CPU is not in the figures of the receiving one.
 */
import { createSocket } from 'node:dgram';
import { legPackets } from './measure';

interface Job {
  readonly ports: readonly number[];
  readonly seconds: number;
  readonly rate: number;
}

process.once('message', (job: Job) => {
  const sock = createSocket('udp4');
  const packets = legPackets(1000, Math.ceil(job.seconds * job.rate));
  // Each target is its own stream: its own SSRC in the header would need a copy per target; the
  // recorder keys nothing on SSRC across sockets, so one shared packet list is fine.
  const t0 = performance.now();
  let sent = 0;
  let k = 0;
  const total = packets.length;
  const step = (): void => {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * job.rate));
    for (; k < due; k++) {
      for (const port of job.ports) {
        sock.send(packets[k], port, '127.0.0.1');
        sent++;
      }
    }
    if (k < total) setTimeout(step, 1);
    else setTimeout(() => {
      sock.close();
      process.send?.({ sent }, () => process.exit(0));
    }, 50);
  };
  step();
});
