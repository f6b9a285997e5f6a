import t from 'tap';
import { RecordCallAction, resolveRecordCall, resolveRecordCaller, validateWith } from '../../../src/policy';

t.test('record_call: start with every default', async (t) => {
  // The action data as the API stores it: schema defaults applied.
  const v = validateWith(RecordCallAction, {});
  if (!v.ok) throw new Error('empty record_call data must validate');
  const got = resolveRecordCall(v.value, { callflowName: 'Main number' });
  t.same(got, {
    action: 'start',
    origin: 'callflow : Main number',
    label: 'Main number',
    settings: {
      format: 'mp3',
      stereo: true,
      record_sample_rate: 16000,
      time_limit: 3600,
      record_min_sec: 0,
      record_on_answer: false,
      record_on_bridge: false,
      start: 'now',
      method: 'put',
      follow_transfer: true,
    },
  });
});

t.test('record_call: every key carried over', async (t) => {
  const got = resolveRecordCall({
    action: 'start',
    format: 'wav',
    label: 'support line',
    media_name: 'support-call',
    record_min_sec: 3,
    record_on_answer: false,
    record_on_bridge: true,
    record_sample_rate: 8000,
    time_limit: 120,
    url: 'http://rec.example.com/store',
    method: 'post',
    should_follow_transfer: false,
  }, { callflowName: 'ignored when a label is given' });
  t.same(got, {
    action: 'start',
    origin: 'callflow : support line',
    label: 'support line',
    settings: {
      format: 'wav',
      stereo: true,
      record_sample_rate: 8000,
      time_limit: 120,
      record_min_sec: 3,
      record_on_answer: false,
      record_on_bridge: true,
      start: 'bridge',
      url: 'http://rec.example.com/store',
      method: 'post',
      media_name: 'support-call.wav',
      follow_transfer: false,
    },
  });
});

t.test('record_call: label fallbacks and stop', async (t) => {
  const table: [object, object, string][] = [
    [{ label: '' }, { callflowName: 'Sales' }, 'callflow : Sales'],
    [{}, { callflowId: 'cf123' }, 'callflow : cf123'],
    [{}, {}, 'callflow : record_call'],
  ];
  for (const [data, ctx, origin] of table) {
    const got = resolveRecordCall(data, ctx);
    t.equal(got.action === 'start' ? got.origin : 'stop', origin, origin);
  }
  t.same(resolveRecordCall({ action: 'stop', format: 'wav' }), { action: 'stop' });
});

t.test('record_caller: records the caller alone, named after the call', async (t) => {
  const got = resolveRecordCaller({ url: 'http://vm.example.com/in', method: 'post', time_limit: 30, format: 'wav' }, 'call-1');
  t.same(got, {
    action: 'record',
    terminators: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'],
    settings: {
      format: 'wav',
      stereo: false,
      record_sample_rate: 8000,
      time_limit: 30,
      record_min_sec: 0,
      record_on_answer: false,
      record_on_bridge: false,
      start: 'now',
      url: 'http://vm.example.com/in',
      method: 'post',
      media_name: 'call-1.wav',
      follow_transfer: false,
    },
  });
  const dflt = resolveRecordCaller({ url: 'http://vm.example.com/in' }, 'c2');
  t.match(dflt, { action: 'record', settings: { format: 'mp3', method: 'put', time_limit: 3600, media_name: 'c2.mp3' } });
  t.match(resolveRecordCaller({ url: 'http://vm.example.com/in', time_limit: 20000 }, 'c3'), { settings: { time_limit: 10800 } });
  t.same(resolveRecordCaller({ url: 'http://vm.example.com/in', terminators: ['#'] }, 'c4'), { ...resolveRecordCaller({ url: 'http://vm.example.com/in' }, 'c4'), terminators: ['#'] }, 'terminators narrow the keys');
  t.match(resolveRecordCaller({ url: 'http://vm.example.com/in', terminators: [] }, 'c5'), { terminators: [] }, 'none: only the limit and hang-up end it');
});

t.test('record_caller: no usable URL skips the action (cf_record_caller)', async (t) => {
  t.same(resolveRecordCaller({}, 'c'), { action: 'skip', reason: 'no_url' });
  t.same(resolveRecordCaller({ url: 'ftp://x.example.com/' }, 'c'), { action: 'skip', reason: 'no_url' });
  t.same(resolveRecordCaller({ url: 'not a url' }, 'c'), { action: 'skip', reason: 'no_url' });
});
