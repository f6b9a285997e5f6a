import t from 'tap';
import { CalleeKind, CallerKind, classifyDirection, DIRECTION_LABELS, Network } from '../../../src/signalling/direction';

t.test('direction table', async (t) => {
  const rows: [CallerKind, CalleeKind, Network, Network, string][] = [
    [CallerKind.Device, CalleeKind.Device, Network.Onnet, Network.Onnet, 'onnet_to_onnet'],
    [CallerKind.Device, CalleeKind.User, Network.Onnet, Network.Onnet, 'onnet_to_onnet'],
    [CallerKind.Device, CalleeKind.Resource, Network.Onnet, Network.Offnet, 'onnet_to_offnet'],
    [CallerKind.Trunk, CalleeKind.Device, Network.Offnet, Network.Onnet, 'offnet_to_onnet'],
    [CallerKind.Trunk, CalleeKind.User, Network.Offnet, Network.Onnet, 'offnet_to_onnet'],
    [CallerKind.Trunk, CalleeKind.Resource, Network.Offnet, Network.Offnet, 'offnet_to_offnet'],
  ];
  for (const [a, b, ca, cb, label] of rows) {
    t.same(classifyDirection({ kind: a }, { kind: b }), { caller: ca, callee: cb, label }, `${a} -> ${b}`);
  }
  t.equal(DIRECTION_LABELS.length, 4);
});
