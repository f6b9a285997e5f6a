import type { CallRecording, PolicyInput, RecordingSettings } from '../../../src/policy';

export type Net = 'onnet' | 'offnet';
export type Dir = 'inbound' | 'outbound';

/** The spec's three call types, named as its table headings. */
export const CALL_TYPES: readonly { name: string; caller: Net; callee: Net }[] = [
  { name: 'an onnet device makes an internal call', caller: 'onnet', callee: 'onnet' },
  { name: 'an onnet device makes an external call', caller: 'onnet', callee: 'offnet' },
  { name: 'an offnet device/endpoint calls an onnet device', caller: 'offnet', callee: 'onnet' },
];

/** A distinct URL per slot so a test can tell which slot's settings were used. */
export function slotUrl(owner: string, dir: Dir, net: Net): string {
  return `http://rec.example.com/${owner}/${dir}/${net}`;
}

/** A call_recording object with exactly one slot set. */
export function oneSlot(dir: Dir, net: Net, settings: RecordingSettings): CallRecording {
  return { [dir]: { [net]: settings } } as CallRecording;
}

export function enabledSlot(owner: string, dir: Dir, net: Net): CallRecording {
  return oneSlot(dir, net, { enabled: true, url: slotUrl(owner, dir, net) });
}

export function baseInput(caller: Net, callee: Net): PolicyInput {
  return { direction: { caller, callee }, account: { id: 'acct1' } };
}
