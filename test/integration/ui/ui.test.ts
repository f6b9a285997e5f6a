/**
 * The web page in Debian's Chromium against a running service with a recording made by a SIPp
 * call: keyboard login with the account's API key, the recording listed, filters, playback to
 * the end, the stereo waveform drawn, a live call appearing through server-sent events and its
 * record_call recording started and stopped and the call hung up from the page, a live call's
 * recording paused and resumed from the page (PCI: no card tone in the file, the paused interval
 * in the record and on the player), another account's token refused. axe-core finds no serious
 * or critical violation in any view; each view is written to test-artifacts/ui/*.png.
 */
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import type { JsonObject } from '../../../src/store';
import { launchBrowser, screenshot, seriousViolations, type PageAudio, type PageCanvas, type PageWindow } from '../../helpers/browser';
import { makeRecording, meta, workDirs } from '../delivery/common';
import { ended } from '../calls/setup';
import { goertzel, newStream, rtpengineTargets, sendChanging } from '../recording/media';
import { API_KEY, CALLEE_TONE, CALLER_TONE, apiEndedCall, decodeBody, runCall, setRecording, startRecordingEnv, uploadsOf, type RecordingEnv } from '../recording/setup';

const OTHER_KEY = 'ui-other-account-key';

let env: RecordingEnv;
let browser: Browser;
let page: Page;
let firstCallId = '';

async function recordingsOf(env: RecordingEnv): Promise<JsonObject[]> {
  return env.svc.store.list('recordings', env.w.accountId);
}

async function until(what: string, f: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.before(async () => {
  // A short retry horizon lets a refused upload become `failed` quickly (the retry test).
  env = await startRecordingEnv({ config: { delivery: { keepUploaded: true, horizonMs: 500, backoffBaseMs: 50, backoffMaxMs: 100 } } });
  const { svc, upload, w } = env;
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/ui` } } } });
  await svc.store.createAccount(null, { name: 'other', realm: 'other.test', pvt_api_key: OTHER_KEY });
  const run = await runCall(svc, w, { from: 'phone', number: '2000', to: 'phone' });
  firstCallId = run.call.callId;
  await uploadsOf(upload, firstCallId);
  await until('the recording uploaded', async () => (await recordingsOf(env)).some((r) => r['status'] === 'uploaded'));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
t.teardown(async () => {
  await browser?.close();
  await env?.close();
});

t.test('keyboard login, recordings listed and filtered', async (t) => {
  const res = await page.goto(`${env.svc.apiUrl}/ui`, { timeout: 15_000 });
  t.equal(res?.status(), 200, '/ui answers the page');
  t.match(res?.headers()['cache-control'], /no-cache/, 'index.html is revalidated');
  t.same(await seriousViolations(page), [], 'login view: no serious/critical axe violations');
  await screenshot(page, 'ui', 'login');
  let focused = '';
  for (let i = 0; i < 10 && focused !== 'api-key'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => (globalThis as unknown as PageWindow).document.activeElement?.id ?? '');
  }
  t.equal(focused, 'api-key', 'Tab reaches the API key field');
  await page.keyboard.type(API_KEY);
  await page.keyboard.press('Enter');
  const row = page.locator('#recordings tbody tr');
  await row.first().waitFor({ timeout: 15_000 });
  t.equal(await row.count(), 1, 'the recording is listed');
  t.match(await row.first().innerText(), /1001[\s\S]*2000[\s\S]*uploaded/, 'from, to and status shown');
  t.match(await page.evaluate(() => (globalThis as unknown as PageWindow).sessionStorage.getItem('b2bua.session') ?? ''), /"token":"[^"]+"/, 'the token is kept in sessionStorage');
  t.same(await seriousViolations(page), [], 'recordings view: no serious/critical axe violations');
  await screenshot(page, 'ui', 'recordings');

  await page.fill('#f-party', 'nobody-here');
  await page.locator('#rec-count', { hasText: '0 of 1' }).waitFor({ timeout: 5000 });
  t.equal(await row.count(), 0, 'a party nobody called: no rows');
  await page.fill('#f-party', '1001');
  await page.selectOption('#f-status', 'uploaded');
  await page.fill('#f-min', '1');
  await page.locator('#rec-count', { hasText: '1 of 1' }).waitFor({ timeout: 5000 });
  t.equal(await row.count(), 1, 'party 1001, uploaded, at least 1 s: the recording');
  await page.fill('#f-max', '0');
  await page.locator('#rec-count', { hasText: '0 of 1' }).waitFor({ timeout: 5000 });
  t.pass('at most 0 s: none');
  await page.click('text=Clear filters');
});

t.test('the player plays to the end and draws both channels', async (t) => {
  await page.click('#recordings tbody tr >> text=Play');
  const audio = page.locator('#player-audio');
  await audio.waitFor({ timeout: 15_000 });
  const ended = await page.evaluate(async () => {
    const a = (globalThis as unknown as PageWindow).document.getElementById('player-audio') as PageAudio;
    if (a.readyState < 1) await new Promise<void>((r) => a.addEventListener('loadedmetadata', () => r(), { once: true }));
    a.playbackRate = 8;
    const done = new Promise<boolean>((r) => {
      a.addEventListener('ended', () => r(true), { once: true });
      setTimeout(() => r(false), 20_000);
    });
    await a.play();
    return { ended: await done, duration: a.duration, at: a.currentTime };
  });
  t.ok(ended.ended, `the audio element reached its end (${ended.at.toFixed(2)} of ${ended.duration.toFixed(2)} s)`);
  t.ok(ended.duration > 1, 'a real recording, over a second long');
  await page.locator('.lanes').waitFor({ timeout: 10_000 });
  const lanes = await page.evaluate(() => {
    const c = (globalThis as unknown as PageWindow).document.getElementById('waveform') as PageCanvas;
    const g = c.getContext('2d');
    if (!g) return [0, 0];
    const count = (y0: number, y1: number): number => {
      const d = g.getImageData(0, y0, c.width, y1 - y0).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if ((d[i] ?? 255) < 200 || (d[i + 2] ?? 255) < 200) n++;
      return n;
    };
    return [count(20, c.height / 2 - 2), count(c.height / 2 + 20, c.height - 2)];
  });
  t.ok((lanes[0] ?? 0) > 500, `caller lane drawn (${lanes[0]} pixels)`);
  t.ok((lanes[1] ?? 0) > 500, `callee lane drawn (${lanes[1]} pixels)`);
  t.match(await page.locator('.lanes').innerText(), /Caller \(left channel\)[\s\S]*Callee \(right channel\)/, 'lanes labelled');
  t.match(await page.locator('.player a.button').getAttribute('download'), /\.mp3$|\.wav$/, 'download link');
  t.same(await seriousViolations(page), [], 'player: no serious/critical axe violations');
  await screenshot(page, 'ui', 'player');
});

t.test('a live call appears through server-sent events and record_call is started and stopped and the call hung up from the page', async (t) => {
  await page.click('header nav >> text=Live calls');
  await page.locator('#calls-link', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  t.equal(await page.locator('#channels tbody tr').count(), 0, 'no call yet');
  const run = runCall(env.svc, env.w, { from: 'phone', number: '2000', to: 'phone', toneFrames: 400 });
  const row = page.locator('#channels tbody tr');
  await row.first().locator('text=: recording').waitFor({ timeout: 15_000 });
  t.match(await row.first().innerText(), /1001@[\s\S]*2000/, 'the call is listed while it is up, without reload');
  t.same(await seriousViolations(page), [], 'live calls view: no serious/critical axe violations');
  await screenshot(page, 'ui', 'live-calls');
  await page.fill('#rc-url', `${env.upload.url}/rc`);
  await row.first().locator('button', { hasText: 'Start recording' }).click();
  const stop = row.first().locator('button:not([disabled])', { hasText: 'Stop recording' });
  await stop.waitFor({ timeout: 10_000 });
  t.match(await row.first().innerText(), /\(record_call\): recording/, 'record_call started from the page, pushed back by the stream');
  await screenshot(page, 'ui', 'live-calls-recording');
  await stop.click();
  await page.locator('text=/Stop recording.*(sent|failed)/').waitFor({ timeout: 10_000 });
  t.match(await page.locator('text=/Stop recording.*(sent|failed)/').innerText(), /sent/, 'the API took the stop');
  await row.first().locator('button:not([disabled])', { hasText: 'Start recording' }).waitFor({ timeout: 10_000 });
  t.notMatch(await row.first().innerText(), /\(record_call\): recording/, 'record_call stopped; the policy recording runs on');
  await row.first().locator('button', { hasText: 'Hang up' }).click();
  await row.first().waitFor({ state: 'detached', timeout: 10_000 });
  t.pass('hung up from the page: the call left the list');
  t.equal((await run).call.end?.by, 'system', 'the service ended the call (not a party)');
});

t.test("PCI from the page: a live call's recording paused and resumed; the interval is in the record, silent in the file and shown by the player", async (t) => {
  const CARD_TONE = 1800;
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  await page.click('header nav >> text=Live calls');
  await page.locator('#calls-link', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  // The caller waits for our BYE (the page hangs up), and reads a "card number" only while paused.
  const c = await apiEndedCall(env.svc, env.w);
  const callId = c.call.callId;
  try {
    const ports = await rtpengineTargets(env.svc, c.call);
    let card = false;
    let done = false;
    const tones = Promise.all([
      sendChanging(c.caller.rtp, ports.toCallerSide, () => (card ? CARD_TONE : CALLER_TONE), () => done, newStream(0x7171)),
      sendChanging(c.callee.rtp, ports.toCalleeSide, () => CALLEE_TONE, () => done, newStream(0x7272)),
    ]);
    const row = page.locator('#channels tbody tr');
    await row.first().locator('text=: recording').waitFor({ timeout: 15_000 });
    await sleep(1000);
    await row.first().locator('button:not([disabled])', { hasText: 'Pause recording' }).click();
    await row.first().locator('text=(paused)').waitFor({ timeout: 10_000 });
    card = true;
    await screenshot(page, 'ui', 'live-calls-paused');
    await sleep(1500);
    card = false;
    await sleep(300);
    await row.first().locator('button:not([disabled])', { hasText: 'Resume recording' }).click();
    await row.first().locator('text=(paused)').waitFor({ state: 'detached', timeout: 10_000 });
    t.pass('paused and resumed from the page, pushed back by the stream');
    await sleep(1000);
    await row.first().locator('button', { hasText: 'Hang up' }).click();
    await ended(c.call);
    done = true;
    await tones;
  } finally {
    c.close();
  }

  let doc: JsonObject | undefined;
  await until('the paused recording uploaded', async () => {
    doc = (await recordingsOf(env)).find((r) => r['call_id'] === callId && r['status'] === 'uploaded');
    return doc !== undefined;
  });
  const ivs = doc?.['paused_intervals'] as unknown as Array<{ offset_ms: number; duration_ms: number }>;
  t.equal(ivs?.length, 1, 'one paused interval in the recording record');
  const iv = ivs[0];
  t.ok(iv.duration_ms >= 1700, `${iv.duration_ms} ms paused (the card tone took 1.5 s of it)`);
  const [up] = await uploadsOf(env.upload, callId, 1);
  const d = decodeBody(up.body, 'mp3');
  const at = (ms: number): number => Math.round((ms / 1000) * d.sampleRate);
  const win = at(20);
  let cardWindows = 0;
  for (let b = 0; b + win <= d.ch[0].length; b += win) {
    const cardP = goertzel(d.ch[0], d.sampleRate, CARD_TONE, b, b + win);
    if (cardP > 1e5 && cardP > goertzel(d.ch[0], d.sampleRate, CALLER_TONE, b, b + win)) cardWindows++;
  }
  t.equal(cardWindows, 0, 'no 20 ms of the card number in the file');
  // 100 ms inside each edge of the interval (an MP3 frame smears an edge).
  const inside = [at(iv.offset_ms + 100), at(iv.offset_ms + iv.duration_ms - 100)] as const;
  const before = [at(iv.offset_ms - 900), at(iv.offset_ms - 100)] as const;
  for (const [ch, name, f] of [[0, 'caller', CALLER_TONE], [1, 'callee', CALLEE_TONE]] as const) {
    const heard = goertzel(d.ch[ch], d.sampleRate, f, before[0], before[1]);
    const paused = goertzel(d.ch[ch], d.sampleRate, f, inside[0], inside[1]);
    t.ok(heard > 1e6 && paused < heard / 1000, `${name}: its tone is in the file before the pause and not inside it (${paused.toExponential(1)} vs ${heard.toExponential(1)})`);
  }

  await page.click('header nav >> text=Recordings');
  await page.locator('#f-party').fill('');
  const listed = page.locator('#paused-intervals');
  const rows = page.locator('#recordings tbody tr');
  await rows.first().waitFor({ timeout: 10_000 });
  for (let i = 0; i < (await rows.count()) && !(await listed.isVisible()); i++) {
    await rows.nth(i).locator('text=Play').click();
    await listed.waitFor({ timeout: 3000 }).catch(() => undefined);
  }
  t.match(await listed.innerText(), /Paused/, 'the player of the paused recording lists its paused interval');
  await screenshot(page, 'ui', 'player-paused');
});

t.test('a failed upload: its error shown, retried from the page, and listed in the operations view', async (t) => {
  const queue = env.svc.service.recordings?.queue;
  if (!queue) throw new Error('service without recordings');
  env.upload.answerWith(403);
  const { src } = await workDirs();
  const file = await makeRecording(src, 4000);
  const rec = await queue.enqueue({ filePath: file.path, meta: meta(`${env.upload.url}/refused`, { accountId: env.w.accountId, from: 'failing@calls.test', to: '2000@calls.test' }) });
  await until('the recording failed', async () => queue.get(rec.id)?.status === 'failed', 15_000);
  env.upload.answerWith(201);

  await page.click('header nav >> text=Operations');
  await page.locator('#ops-failures tbody tr').first().waitFor({ timeout: 10_000 });
  t.match(await page.locator('#ops-failures').innerText(), /failing@calls\.test[\s\S]*failed[\s\S]*horizon_reached/, 'the failure is listed with its error');
  t.match(await page.locator('#ops-queue').innerText(), /failed: [1-9]/, 'the queue counts it');
  t.ok(await page.locator('#ops-registrations tbody tr').count() >= 1, 'the phones registered by the calls are listed');
  t.same(await seriousViolations(page), [], 'operations view: no serious/critical axe violations');
  await screenshot(page, 'ui', 'operations');

  await page.click('header nav >> text=Recordings');
  const row = page.locator(`#recordings tbody tr[data-id="${rec.id}"]`);
  await page.fill('#f-party', 'failing');
  await row.waitFor({ timeout: 10_000 });
  t.match(await row.innerText(), /failed[\s\S]*horizon_reached: /, 'status and last error in the list');
  await screenshot(page, 'ui', 'recordings-failed');
  await row.locator('button', { hasText: 'Retry upload' }).click();
  await page.locator('text=queued for upload again').waitFor({ timeout: 10_000 });
  await env.upload.waitFor(() => env.upload.delivered().some((u) => u.path.startsWith('/refused')), 10_000, 'the retried upload');
  t.pass('retried from the page and uploaded');

  // Deleted from the page (after the confirmation): the file and the record are gone.
  page.once('dialog', (d) => void d.accept());
  await row.locator('button', { hasText: 'Delete' }).click();
  await page.locator('text=deleted.').waitFor({ timeout: 10_000 });
  await row.waitFor({ state: 'detached', timeout: 10_000 });
  t.equal(queue.get(rec.id), undefined, 'deleted from the page: the queue record is gone');
});

t.test('the policy view: settings form with field errors, and what the policy decides per call type', async (t) => {
  await page.click('header nav >> text=Policy');
  await page.locator('#p-inbound-onnet-enabled:checked').waitFor({ timeout: 10_000 });
  t.equal(await page.inputValue('#p-inbound-onnet-url'), `${env.upload.url}/ui`, "the account's inbound onnet slot as stored");
  await page.check('#p-outbound-offnet-enabled');
  await page.fill('#p-outbound-offnet-url', 'ftp://nowhere');
  await page.click('text=Save settings');
  const err = page.locator('#p-outbound-offnet-url-error');
  await err.waitFor({ timeout: 10_000 });
  t.ok((await err.innerText()).length > 0, `the API's field error next to the field: ${await err.innerText()}`);
  t.equal(await page.getAttribute('#p-outbound-offnet-url', 'aria-invalid'), 'true');
  await screenshot(page, 'ui', 'policy-field-error');
  const stored = (await env.svc.store.readAccount(env.w.accountId))['call_recording'] as JsonObject;
  t.notMatch(JSON.stringify(stored), /ftp:/, 'nothing was written');
  await page.fill('#p-outbound-offnet-url', `${env.upload.url}/out`);
  await page.fill('#p-outbound-offnet-time-limit', '3');
  await page.click('text=Save settings');
  const limitErr = page.locator('#p-outbound-offnet-time-limit-error');
  await limitErr.waitFor({ timeout: 10_000 });
  t.match(await limitErr.innerText(), /5/, `a time limit under Kazoo's minimum is refused next to its field: ${await limitErr.innerText()}`);
  await page.fill('#p-outbound-offnet-time-limit', '600');
  await page.check('#p-outbound-offnet-record-on-answer');
  await page.click('text=Save settings');
  await page.locator('#policy-notice', { hasText: 'Saved.' }).waitFor({ timeout: 10_000 });
  t.match((await env.svc.store.readAccount(env.w.accountId))['call_recording'], { account: { outbound: { offnet: { enabled: true, url: `${env.upload.url}/out`, time_limit: 600, record_on_answer: true } }, inbound: { onnet: { enabled: true } } } }, 'saved by PATCH, every setting of the slot');
  await page.selectOption('#p-part', 'endpoint');
  await page.check('#p-any-any-enabled');
  await page.fill('#p-any-any-record-min-sec', '2');
  await page.click('text=Save settings');
  await page.locator('#policy-notice', { hasText: 'Saved.' }).waitFor({ timeout: 10_000 });
  t.match((await env.svc.store.readAccount(env.w.accountId))['call_recording'], { endpoint: { any: { any: { enabled: true, record_min_sec: 2 } } }, account: { inbound: { onnet: { enabled: true } } } }, "the endpoint defaults saved beside the account's own rules");
  await page.uncheck('#p-any-any-enabled');
  await page.fill('#p-any-any-record-min-sec', '');
  await page.click('text=Save settings');
  await page.locator('#policy-notice', { hasText: 'Saved.' }).waitFor({ timeout: 10_000 });
  t.same((await env.svc.store.readAccount(env.w.accountId))['call_recording'], { ...(await env.svc.store.readAccount(env.w.accountId))['call_recording'] as JsonObject, endpoint: { any: { any: { enabled: false } } } }, 'a cleared field is removed, not kept');
  await page.selectOption('#p-part', 'account');

  await page.selectOption('#p-caller', { label: 'device phone 1001' });
  await page.selectOption('#p-callee', { label: 'device phone 2001' });
  await page.click('text=Ask the policy');
  const rows = page.locator('#policy-preview tbody tr');
  await rows.first().waitFor({ timeout: 10_000 });
  t.equal(await rows.count(), 4, 'the four call types of the spec');
  const text = await page.locator('#policy-preview').innerText();
  t.match(text, /onnet\s+onnet\s+account \(inbound from onnet to account/, 'onnet to onnet: the account records (inbound slot)');
  t.match(text, /onnet\s+offnet\s+account \(inbound from onnet to account/, 'onnet to offnet: the inbound slot keyed by the caller wins (Kazoo)');
  t.match(text, /offnet\s+offnet\s+account \(outbound to offnet/, 'offnet to offnet: the outbound slot');
  t.same(await seriousViolations(page), [], 'policy view: no serious/critical axe violations');
  await screenshot(page, 'ui', 'policy');
});

t.test("another account's token is refused and the page says so", async (t) => {
  const auth = await fetch(`${env.svc.apiUrl}/v2/api_auth`, { method: 'PUT', body: JSON.stringify({ data: { api_key: OTHER_KEY } }) });
  const token = ((await auth.json()) as { auth_token: string }).auth_token;
  await page.evaluate(([tok, acct]) => (globalThis as unknown as PageWindow).sessionStorage.setItem('b2bua.session', JSON.stringify({ token: tok, accountId: acct, accountName: 'recording' })), [token, env.w.accountId] as const);
  await page.evaluate(() => { (globalThis as unknown as { location: { hash: string } }).location.hash = 'recordings'; });
  await page.reload();
  const alert = page.locator('[role=alert]');
  await alert.waitFor({ timeout: 10_000 });
  t.match(await alert.innerText(), /403/, 'the refusal is shown');
  t.equal(await page.locator('#recordings tbody tr').count(), 0, 'and no recording of the other account');
  await screenshot(page, 'ui', 'refused');
});

t.test('an admin user logs in with user name and password; a wrong password is said plainly', async (t) => {
  const auth = await fetch(`${env.svc.apiUrl}/v2/api_auth`, { method: 'PUT', body: JSON.stringify({ data: { api_key: API_KEY } }) });
  const token = ((await auth.json()) as { auth_token: string }).auth_token;
  const made = await fetch(`${env.svc.apiUrl}/v2/accounts/${env.w.accountId}/users`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ data: { first_name: 'Sue', last_name: 'Pervisor', username: 'sue', password: 'listen-to-calls', priv_level: 'admin' } }),
  });
  t.equal(made.status, 201, 'user with a password made through the API');
  const account = await env.svc.store.readAccount(env.w.accountId);
  await page.click('text=Log out');
  await page.reload();
  await page.click('text=Log in with a user name and password instead');
  await page.fill('#login-account', String(account['name']));
  await page.fill('#login-user', 'sue');
  await page.fill('#login-password', 'not-her-password');
  await page.keyboard.press('Enter');
  const alert = page.locator('[role=alert]');
  await alert.waitFor({ timeout: 10_000 });
  t.match(await alert.innerText(), /401/, 'a wrong password is refused on the page');
  t.same(await seriousViolations(page), [], 'user login view: no serious/critical axe violations');
  await screenshot(page, 'ui', 'login-user');
  await page.fill('#login-password', 'listen-to-calls');
  await page.keyboard.press('Enter');
  await page.locator('#recordings tbody tr').first().waitFor({ timeout: 15_000 });
  t.ok(await page.locator('#recordings tbody tr').count() >= 1, "the account's recordings are listed after a user login");
});
