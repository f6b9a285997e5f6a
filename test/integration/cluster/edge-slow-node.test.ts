/**
 * The shipped edge in front of two stand-in nodes (UDP sockets answering the edge's OPTIONS
 * probes at once) that answer REGISTER only after 2.5 s, beyond NODE_TIMEOUT_MS (1 s). Under
 * load a real node can be that slow (50 REGISTERs/s on one AOR in bench:cluster): the edge
 * used to take the node for dead, mark it down and send the same authenticated REGISTER to
 * the other node, which found its nonce-count already used by the first (RFC 2617 3.2.2, the
 * shared window in Redis) and challenged again, so the phone saw a 401 to correct credentials.
 * A REGISTER has no 100 Trying (RFC 3261 17.2.2), so a slow node cannot be told from a dead
 * one: the edge must wait for it (the probes decide who is dead), and it stays in.
 */
import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import { sendRequest, startEdge } from '../../helpers/kamailio';
import { freePort } from '../../helpers/ports';
import { sipHeader, sipReply } from './setup';

const SLOW_MS = 2500;

interface StandIn { sip: string; registers: string[]; close(): void }

async function standIn(host: string): Promise<StandIn> {
  const port = await freePort(host);
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((res) => sock.bind(port, host, () => res()));
  const registers: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  sock.on('message', (buf, from) => {
    const text = buf.toString();
    if (text.startsWith('OPTIONS ')) sock.send(sipReply(text, '200 OK'), from.port, from.address);
    if (!text.startsWith('REGISTER ')) return;
    const callId = sipHeader(text, 'Call-ID')[0] ?? '';
    // The edge retransmits to a silent node (same branch): one REGISTER is one transaction.
    if (registers.includes(callId)) return;
    registers.push(callId);
    const timer = setTimeout(() => { timers.delete(timer); sock.send(sipReply(text, '200 OK'), from.port, from.address); }, SLOW_MS);
    timers.add(timer);
  });
  return { sip: `${host}:${port}`, registers, close: () => { for (const x of timers) clearTimeout(x); sock.close(); } };
}

t.test('a node slower than NODE_TIMEOUT_MS to answer a REGISTER keeps it and stays in', async (t) => {
  const nodes = [await standIn('127.0.0.2'), await standIn('127.0.0.3')];
  t.teardown(() => { for (const n of nodes) n.close(); });
  const edge = await startEdge({ nodes: nodes.map((n) => n.sip), pingIntervalSec: 1, nodeTimeoutMs: 1000 });
  t.teardown(() => edge.close());

  for (const i of [1, 2, 3]) {
    const answer = await sendRequest(edge.host, edge.port, 'REGISTER', 10_000, {
      callId: `slow-${i}@cluster.test`, headers: ['Contact: <sip:probe@127.0.0.1>', 'Expires: 60'],
    });
    t.match(answer, /^SIP\/2\.0 200 /, `REGISTER ${i}: the slow node's 200 reaches the phone`);
    const reached = nodes.filter((n) => n.registers.includes(`slow-${i}@cluster.test`)).length;
    t.equal(reached, 1, `REGISTER ${i} reached one node only (not re-sent to the other when the first was slow)`);
  }
  t.notMatch(edge.output(), /node down/, 'no node was marked down for being slow');
});
