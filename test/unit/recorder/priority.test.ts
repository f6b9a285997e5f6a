import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chrtPath, prioritized, priorityFallback } from '../../../src/recorder/spawner/priority';

t.test('how lame is started at each priority', (t) => {
  const chrt = chrtPath();
  t.ok(chrt !== null, `chrt found on this machine: ${chrt}`);
  const rows: Array<[Parameters<typeof prioritized>[2], ReturnType<typeof prioritized>]> = [
    [10, { file: 'lame', args: ['-r', 'x.mp3'], nice: 10 }],
    [0, { file: 'lame', args: ['-r', 'x.mp3'], nice: 0 }],
    [19, { file: 'lame', args: ['-r', 'x.mp3'], nice: 19 }],
    // chrt stops at its first operand, so lame's own options pass through untouched.
    ['idle', { file: chrt as string, args: ['--idle', '0', 'lame', '-r', 'x.mp3'], nice: 0 }],
  ];
  for (const [priority, want] of rows) t.same(prioritized('lame', ['-r', 'x.mp3'], priority), want, `${priority}`);
  t.equal(priorityFallback('idle'), null, 'idle is had here: nothing to warn about at start');
  t.end();
});

t.test('idle without chrt on PATH: lame itself at the lowest niceness, and the start warns', (t) => {
  const mod = JSON.stringify(join(__dirname, '../../../src/recorder/spawner/priority.js'));
  const code = `const p = require(${mod}); console.log(JSON.stringify([p.prioritized('lame', ['-'], 'idle'), p.priorityFallback('idle'), p.priorityFallback(10)]))`;
  const [run, idle, ten] = JSON.parse(execFileSync(process.execPath, ['-e', code], { env: { PATH: '/nonexistent' } }).toString()) as [unknown, string | null, string | null];
  t.same(run, { file: 'lame', args: ['-'], nice: 19 });
  t.match(idle, /niceness 19 instead of SCHED_IDLE/, 'the reason the start logs');
  t.equal(ten, null, 'a niceness needs no chrt');
  t.end();
});
