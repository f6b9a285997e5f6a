import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEDIA_PORTS, SIGNAL_PORTS, freePorts, freeRun, mediaBlocks } from '../../helpers/ports';
import { tempDir } from '../../helpers/temp';

// The port helper is the tests' own infrastructure, but CI failed twice on what it hands out
// (SIPp: "Unable to bind main socket"), so its promises are checked with real processes.
const helper = join(__dirname, '../../helpers/ports.js');
const claimsDir = join(tmpdir(), 'b2bua-test-ports');

/** `script` run by a separate node process (`env` added to ours); what it printed, parsed. */
function inChild<T>(script: string, env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

/** A separate node process that claims `n` ports, prints them, and holds them `holdMs`. */
function claimIn(n: number, holdMs: number): Promise<number[]> {
  return inChild(`require(${JSON.stringify(helper)}).freePorts(${n}).then((p) => { console.log(JSON.stringify(p)); setTimeout(() => {}, ${holdMs}); });`);
}

t.test('ports are in the plan, below the ephemeral range, and never shared by parallel files', async (t) => {
  const lists = await Promise.all([claimIn(60, 300), claimIn(60, 300), claimIn(60, 300), freePorts(60)]);
  const all = lists.flat();
  t.equal(all.length, 240);
  t.equal(new Set(all).size, 240, 'no port handed to two processes');
  t.ok(all.every((p) => p >= SIGNAL_PORTS.min && p <= SIGNAL_PORTS.max), 'all inside SIGNAL_PORTS');
  t.ok(SIGNAL_PORTS.max < 32768, 'below Linux\'s default ephemeral range');
  // The children have exited: their claims are gone; this process's stay while it runs.
  t.ok(lists.slice(0, 3).flat().every((p) => !existsSync(join(claimsDir, String(p)))), 'an exited process frees its claims');
  t.ok(lists[3]!.every((p) => existsSync(join(claimsDir, String(p)))), 'a running process keeps its claims');
});

t.test('a run of ports (SIPp\'s -mp binds the port and the one two above) is claimed whole', async (t) => {
  const first = await freeRun(3);
  t.ok(first >= SIGNAL_PORTS.min && first + 2 <= SIGNAL_PORTS.max, 'inside SIGNAL_PORTS');
  t.same([0, 1, 2].map((k) => existsSync(join(claimsDir, String(first + k)))), [true, true, true], 'all three claimed');
  const more = await freePorts(200);
  t.notOk(more.some((p) => p >= first && p <= first + 2), 'none of them handed out again');
});

t.test('media blocks side by side never overlap and stay in the plan; too large is refused', async (t) => {
  // bench:recordings at 300 calls asks 5000 + 1400: drawn apart, the two blocks could not miss
  // each other from some first draws, and the helper looped for ever.
  const rows: { sizes: number[]; fits: boolean }[] = [
    { sizes: [400, 400], fits: true },
    { sizes: [5000, 1400], fits: true },
    { sizes: [6600, 1800], fits: true },
    { sizes: [6000, 6000], fits: true },
    { sizes: [6000, 6002], fits: false },
  ];
  for (const { sizes, fits } of rows) {
    if (!fits) {
      t.throws(() => mediaBlocks(...sizes), RangeError, `${sizes.join(' + ')} refused`);
      continue;
    }
    const bad: string[] = [];
    for (let i = 0; i < 200; i++) {
      const firsts = mediaBlocks(...sizes);
      const ends = firsts.map((f, k) => f + sizes[k]! - 1);
      if (firsts[0]! < MEDIA_PORTS.min || ends[ends.length - 1]! > MEDIA_PORTS.max || firsts.some((f, k) => k > 0 && f !== ends[k - 1]! + 1)) bad.push(firsts.join(', '));
    }
    t.same(bad, [], `${sizes.join(' + ')}: 200 draws adjacent, disjoint, inside ${MEDIA_PORTS.min}-${MEDIA_PORTS.max}`);
  }
});

t.test('a claim left by a killed process is taken over; a live one is not', async (t) => {
  // In a private $TMPDIR, so the other test files' claims are not disturbed: every port of the
  // plan is claimed by this (live) process except one, claimed by a pid that does not exist.
  const tmp = tempDir('ports-');
  const dir = join(tmp, 'b2bua-test-ports');
  mkdirSync(dir);
  const dead = SIGNAL_PORTS.min + Math.floor(Math.random() * (SIGNAL_PORTS.max + 1 - SIGNAL_PORTS.min));
  for (let p = SIGNAL_PORTS.min; p <= SIGNAL_PORTS.max; p++) {
    writeFileSync(join(dir, String(p)), p === dead ? '2147483646' : String(process.pid));
  }
  const script = `const { freePort } = require(${JSON.stringify(helper)});
    freePort().then(async (first) => {
      const second = await freePort().then(String, (e) => e.message);
      console.log(JSON.stringify({ first, second }));
    });`;
  t.same(await inChild(script, { TMPDIR: tmp }), { first: dead, second: 'no free port found' }, 'the dead owner\'s port, then none');
  t.notOk(existsSync(join(dir, String(dead))), 'the child freed it on exit');
  t.ok(existsSync(join(dir, String(dead === SIGNAL_PORTS.min ? dead + 1 : dead - 1))), 'live claims stay');
});
