/** Server-sent events in tests (WHATWG HTML §9.2 text/event-stream). */

/** Reads an SSE body until `until` matches what arrived (or the timeout). */
export async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, seen: { text: string }, until: RegExp, timeoutMs = 5000): Promise<string> {
  const dec = new TextDecoder();
  const end = Date.now() + timeoutMs;
  while (!until.test(seen.text)) {
    const left = end - Date.now();
    if (left <= 0) throw new Error(`no ${until} in ${JSON.stringify(seen.text)}`);
    const r = await Promise.race([reader.read(), new Promise<null>((res) => setTimeout(() => res(null), left))]);
    if (r === null) continue;
    if (r.done) break;
    seen.text += dec.decode(r.value);
  }
  return seen.text;
}
