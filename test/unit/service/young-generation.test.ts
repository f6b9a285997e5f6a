/**
 * The main isolate keeps the small young generation `npm start` gives it, while isolates created
 * after youngGenerationForWorkers() (the recorder threads) get V8's default: checked on this
 * Node by letting each grow its new space under a load that keeps many young objects alive.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const MODULE = join(__dirname, '../../../src/service/young-generation.js');

/** A node with the start script's flag; prints the largest new space (MB) of the main isolate and of a worker. */
function newSpaces(reset: boolean): { main: number; worker: number } {
  const script = `
    const v8 = require('node:v8');
    const { Worker } = require('node:worker_threads');
    const grow = \`const v8 = require('node:v8'); let max = 0; let keep = [];
      for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 300000) keep = [];
        if (i % 50000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size); }
      max\`;
    ${reset ? `require(${JSON.stringify(MODULE)}).youngGenerationForWorkers();` : ''}
    const main = eval(grow);
    const w = new Worker(grow + '; require("node:worker_threads").parentPort.postMessage(max)', { eval: true });
    w.once('message', (worker) => { console.log(JSON.stringify({ main: main / 1048576, worker: worker / 1048576 })); w.terminate(); });
  `;
  return JSON.parse(execFileSync(process.execPath, ['--max-semi-space-size=4', '-e', script], { timeout: 60_000 }).toString()) as { main: number; worker: number };
}

t.test('the main isolate keeps 4 MB semi-spaces, the recorder threads get V8\'s default', async (t) => {
  const before = newSpaces(false);
  t.ok(before.worker <= 8, `without the reset a worker inherits the flag: new space ${before.worker} MB`);
  const after = newSpaces(true);
  t.ok(after.main <= 8, `the main isolate still at most two 4 MB semi-spaces: ${after.main} MB`);
  t.ok(after.worker > 8, `a worker created after the reset grows past them: ${after.worker} MB`);
});
