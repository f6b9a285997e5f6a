/**
 * FeatureCodes (konami's code reading): the binding digit, exact numbers at once when nothing
 * longer can follow, the timeout for numbers with longer siblings and for patterns, listen_on,
 * a late digit starting over.
 */
import t from 'tap';
import { FeatureCodeListener, FeatureCodes, featureCodesOf, type DigitOutcome, type FeatureCodeMatch } from '../../../src/recording/feature-codes';
import type { MetaflowsConfig } from '../../../src/policy/metaflows-schema';

const rc = (action: string): { module: 'record_call'; data: { action: 'toggle' } } => ({ module: 'record_call', data: { action: action as 'toggle' } });

/** Presses `keys` on `leg` 100 ms apart; the matches (digits) and the last outcome. */
function press(codes: FeatureCodes, keys: string, leg = 'caller', t0 = 0): { matched: string[]; last: DigitOutcome | undefined; at: number } {
  const matched: string[] = [];
  let last: DigitOutcome | undefined;
  let at = t0;
  for (const k of keys) {
    last = codes.digit(leg, k, at);
    if ('match' in last) matched.push(last.match.digits);
    at += 100;
  }
  return { matched, last, at };
}

t.test('numbers: at once when no longer number can follow, else on timeout', async (t) => {
  const cfg: MetaflowsConfig = { digit_timeout: 1000, numbers: { 1: rc('toggle'), 2: rc('pause_toggle'), 21: rc('stop') } };
  const rows: [string, string[]][] = [
    ['*1', ['1']],
    ['1', []],
    ['*9', []],
    ['*9*1', ['1']],
    ['*1*1', ['1', '1']],
    ['**1', ['1']],
    ['*21', ['21']],
  ];
  for (const [keys, want] of rows) t.same(press(new FeatureCodes(cfg), keys).matched, want, keys);
  const c = new FeatureCodes(cfg);
  const r = press(c, '*2');
  t.same(r.last, { waitMs: 1000 }, '*2 waits: 21 may follow');
  t.equal(c.timeout('caller', r.at + 500), undefined, 'not before the timeout');
  t.same(c.timeout('caller', r.at - 100 + 1000)?.actions, [{ module: 'record_call', data: { action: 'pause_toggle' } }], 'then 2');
  const l = new FeatureCodes(cfg);
  press(l, '*', 'caller', 0);
  t.same(l.digit('caller', '1', 5000), { ignored: true }, 'a digit after the timeout is no code');
  t.same(press(new FeatureCodes(cfg), '*2', 'caller').matched, [], 'nothing before the timer');
  t.same(press(new FeatureCodes({ numbers: { 21: rc('stop') } }), '*21').matched, ['21'], 'alone it matches at once');
});

t.test('patterns on timeout; bad patterns ignored; listen_on; binding digit', async (t) => {
  const warned: string[] = [];
  const c = new FeatureCodes({ digit_timeout: 1000, patterns: { '^5[0-9]$': rc('stop'), '(': rc('start') } }, (m) => warned.push(m));
  t.equal(warned.length, 1, 'the bad pattern is reported');
  const r = press(c, '*55');
  t.same(r.last, { waitMs: 1000 });
  t.equal(c.timeout('caller', r.at + 1000)?.digits, '55', 'pattern matched on timeout');
  const self = new FeatureCodes({ listen_on: 'self', numbers: { 1: rc('toggle') } });
  t.same(press(self, '*1', 'callee').matched, [], 'self: the callee is not heard');
  t.same(press(self, '*1', 'caller').matched, ['1']);
  const peer = new FeatureCodes({ listen_on: 'peer', numbers: { 1: rc('toggle') } });
  t.same(press(peer, '*1', 'caller').matched, []);
  t.same(press(peer, '*1', 'callee').matched, ['1']);
  t.same(press(new FeatureCodes({ binding_digit: '#', numbers: { 1: rc('toggle') } }), '*1#1').matched, ['1'], 'binding digit #');
  t.equal(featureCodesOf(undefined), undefined);
  t.equal(featureCodesOf({ binding_digit: '*' }), undefined, 'no codes: nothing to listen to');
  t.ok(featureCodesOf({ numbers: { 1: rc('toggle') } }));
});

t.test('the listener dates a match at its key (agoMs: read late) and runs the digit timer from it', async (t) => {
  let clock = 10_000;
  const got: FeatureCodeMatch[] = [];
  const at = new FeatureCodeListener(new FeatureCodes({ numbers: { 1: rc('pause') } }), (m) => got.push(m), () => clock);
  at.press('caller', '*', 120);
  at.press('caller', '1', 40);
  t.same(got.map((m) => [m.digits, m.at]), [['1', 9960]], 'matched at the key\'s arrival, 40 ms before it was read');

  // A number with a longer sibling waits out digit_timeout, counted from the key, not from its reading.
  const timed = new FeatureCodeListener(new FeatureCodes({ digit_timeout: 1000, numbers: { 2: rc('pause'), 21: rc('resume') } }), (m) => got.push(m), () => clock);
  t.teardown(() => timed.close());
  timed.press('callee', '*', 900);
  timed.press('callee', '2', 900);
  clock += 1000;
  const deadline = performance.now() + 700;
  while (got.length < 2 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.same(got.slice(1).map((m) => [m.leg, m.digits, m.at]), [['callee', '2', 11_000]], 'the timer ran 100 ms (1000 less the 900 the key waited), the match dated when it ran out');
});
