import t from 'tap';
import { nestedDeeperThan, parseBody } from '../../../src/api/body';
import { BodyTooDeepError, ParseError } from '../../../src/api/errors';

const nest = (n: number, open = '[', close = ']'): string => `${open.repeat(n)}${close.repeat(n)}`;

t.test('nesting depth: brackets counted outside strings only, in one pass', (t) => {
  // [name, text, max, deeper than max]
  const table: Array<[string, string, number, boolean]> = [
    ['scalar', '1', 0, false],
    ['empty object at 1', '{}', 1, false],
    ['empty object over 0', '{}', 0, true],
    ['3 arrays at 3', nest(3), 3, false],
    ['4 arrays over 3', nest(4), 3, true],
    ['siblings do not add up', '[[1],[2],[3],{"a":1}]', 2, false],
    ['mixed objects and arrays', '{"a":[{"b":[1]}]}', 3, true],
    ['brackets inside a string', '{"a":"[[[[{{{{"}', 1, false],
    ['escaped quote keeps the string open', '{"a":"\\"[[[["}', 1, false],
    ['escaped backslash closes the string', '{"a":"\\\\",  "b":[[1]]}', 2, true],
    ['3000 levels', nest(3000, '{"a":', '}'), 64, true],
  ];
  for (const [name, text, max, want] of table) t.equal(nestedDeeperThan(text, max), want, name);
  t.end();
});

t.test('parseBody: empty is undefined, too deep and malformed are refused with their errors', (t) => {
  t.equal(parseBody('  \n', 64), undefined);
  t.same(parseBody('{"data":{"a":[1,{"b":2}]}}', 64), { data: { a: [1, { b: 2 }] } });
  t.throws(() => parseBody(`{"data":${nest(100)}}`, 64), BodyTooDeepError);
  t.throws(() => parseBody('{"data":', 64), ParseError);
  t.end();
});
