import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chrtPath, prioritized } from '../../../src/recorder/spawner/priority';

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
  t.end();
});

t.test('idle without chrt on PATH: lame itself at the lowest niceness', (t) => {
  const mod = join(__dirname, '../../../src/recorder/spawner/priority.js');
  const out = execFileSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(mod)}).prioritized('lame', ['-'], 'idle')))`], { env: { PATH: '/nonexistent' } }).toString();
  t.same(JSON.parse(out), { file: 'lame', args: ['-'], nice: 19 });
  t.end();
});
