import t from 'tap';
import { dialledNumber, lookupCallflow, MatchKind, selectCallflow } from '../../../src/calls/callflow';
import { MemoryDirectory } from '../../../src/directory/memory-directory';
import type { CallflowInfo } from '../../../src/directory/types';

const cf = (id: string, numbers: string[], patterns: string[] = [], account = 'A'): CallflowInfo =>
  ({ id, account_id: account, numbers, patterns, flow: { module: 'device', data: { id } } });

t.test('selection order: number, longest pattern, no_match', async (t) => {
  const flows = [
    cf('ext', ['1001']),
    cf('any4', [], ['^(\\d{4})$']),
    cf('intl', [], ['^\\+?(\\d{7,})$']),
    cf('us', [], ['^\\+1(\\d{10})$']),
    cf('bad', [], ['([']),
    cf('catch', ['no_match']),
    cf('other', ['2000'], [], 'B'),
  ];
  const dir = new MemoryDirectory({ callflows: flows });
  const rows: [string, string | undefined, MatchKind | undefined, string | undefined][] = [
    ['1001', 'ext', MatchKind.Number, undefined],
    ['1002', 'any4', MatchKind.Pattern, '1002'],
    ['+4420799', 'intl', MatchKind.Pattern, '4420799'],
    ['+14155550100', 'intl', MatchKind.Pattern, '14155550100'],
    ['2000', 'any4', MatchKind.Pattern, '2000'],
    ['abc', 'catch', MatchKind.NoMatch, undefined],
  ];
  for (const [num, id, kind, capture] of rows) {
    const m = await lookupCallflow(dir, 'A', num);
    t.same([m?.callflow.id, m?.kind, m?.captureGroup], [id, kind, capture], num);
  }
  t.equal(await lookupCallflow(dir, 'B', 'zzz'), undefined, 'no callflow, no catch-all');
  t.equal((await lookupCallflow(dir, 'B', '2000'))?.callflow.id, 'other', 'accounts are separate');
  t.equal(selectCallflow('5', undefined, [], undefined), undefined);
});

t.test('dialled number from a URI', async (t) => {
  const rows: [string, string][] = [
    ['sip:1001@a.com', '1001'],
    ['<sip:+1-415-555-0100@a.com;user=phone>', '+14155550100'],
    ['sip:%2B4420@h', '+4420'],
    ['tel:+1.415.555.0100', '+14155550100'],
    ['sip:alice@h', 'alice'],
    ['sip:a.com', 'a.com'],
    ['http://x', ''],
  ];
  for (const [uri, want] of rows) t.equal(dialledNumber(uri), want, uri);
});
