import t from 'tap';
import { dieWithParent, isOurRtpengine } from '../../../src/media/orphans';

t.test('isOurRtpengine: our binary (by name) with exactly our NG address', async (t) => {
  const ng = '127.0.0.1:22222';
  const rows: [string, string[], boolean][] = [
    ['rtpengine with our NG', ['rtpengine', '--table=-1', `--listen-ng=${ng}`], true],
    ['full path to the binary', ['/usr/bin/rtpengine', `--listen-ng=${ng}`], true],
    ['setpriv before its exec', ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', 'rtpengine', `--listen-ng=${ng}`], true],
    ['another NG port', ['rtpengine', '--listen-ng=127.0.0.1:22223'], false],
    ['another NG host', ['rtpengine', '--listen-ng=127.0.0.2:22222'], false],
    ['NG port as a prefix', ['rtpengine', `--listen-ng=${ng}0`], false],
    ['another program with our NG', ['node', 'fake.js', `--listen-ng=${ng}`], false],
    ['a name that only contains rtpengine', ['my-rtpengine-wrapper', `--listen-ng=${ng}`], false],
    ['empty (zombie)', [], false],
  ];
  for (const [name, argv, want] of rows) t.equal(isOurRtpengine(argv, 'rtpengine', ng), want, name);
});

t.test('dieWithParent: setpriv execs the binary with its arguments unchanged', async (t) => {
  t.same(dieWithParent('/usr/bin/setpriv', 'rtpengine', ['--a', '--b=1']),
    { command: '/usr/bin/setpriv', args: ['--pdeathsig', 'KILL', '--', 'rtpengine', '--a', '--b=1'] });
  t.same(dieWithParent(undefined, 'rtpengine', ['--a']), { command: 'rtpengine', args: ['--a'] }, 'without setpriv: plain');
});
