import type { RecordingFormat, RecordingMeta } from './types';

/**
 * Building the storage URL exactly as Kazoo does, so a receiver written for Kazoo works unchanged.
 *
 * Sources (2600hz/kazoo):
 *  - core/kazoo_call/src/kzc_recording.erl: handler_fields_for_protocol/3 (the field list),
 *    check_url/1, check_url_query/1, check_url_param/1 (what joins the name to an existing query);
 *  - core/kazoo_attachments/src/kz_att_http.erl: put_attachment/6 (trailing '/' stripped from
 *    the base URL; '/' inserted before the name only when the URL has no query string),
 *    send_request (the same body for PUT and POST, any 2xx is success, 301/302 followed);
 *  - core/kazoo_attachments/src/kz_att_util.erl: format_url_field/4 (field values are
 *    uri-encoded; an undefined field contributes nothing but its "&key=" constant stays;
 *    field_separator is empty for recordings).
 */

/**
 * The text with the userinfo of every URL in it replaced by `***` (RFC 3986 3.2.1: userinfo
 * carries credentials, and its password part is deprecated for this very reason), for log lines
 * and error messages. Works on a bare URL or on free text containing URLs. The userinfo ends at
 * the last `@` before the path's query, fragment or the next whitespace, as the WHATWG parser
 * takes the last `@` of the authority: a password with a raw `@` or `/` is hidden whole (a path
 * holding `@` hides a little too much, which is the safe side).
 */
export function redactUrl(text: string): string {
  return text.replace(/\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^\s"'<>?#]*@/g, '$1***@');
}

/** Seconds between 0000-01-01 and 1970-01-01: Kazoo timestamps are Gregorian seconds. */
export const GREGORIAN_UNIX_OFFSET = 62_167_219_200;

/**
 * Kazoo's content type comes from kz_mime:from_filename/1 on the media name (kz_att_http.erl);
 * its MIME table maps .mp3 to audio/mpeg and .wav to audio/x-wav.
 */
export function contentTypeFor(format: RecordingFormat): string {
  return format === 'mp3' ? 'audio/mpeg' : 'audio/x-wav';
}

/** The name Kazoo gives the uploaded file: call_recording_<call-id>.<ext> (call-id uri-encoded). */
export function recordingName(callId: string, format: RecordingFormat): string {
  return `call_recording_${uriEncode(callId)}.${format}`;
}

/**
 * Kazoo encodes field values with Erlang's http_uri:encode/1, which percent-encodes its
 * "reserved" set: ; : @ & = + , / ? # [ ] < > " { } | \ ' ^ % and space. It leaves other
 * bytes alone; we additionally encode control characters and non-ASCII bytes (as UTF-8), which
 * would otherwise make an invalid HTTP request line (RFC 3986 section 2.1). Hex digits are upper case.
 */
const RESERVED = new Set(';:@&=+,/?#[]<>"{}|\\\'^% '.split(''));

export function uriEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x21 || byte > 0x7e || RESERVED.has(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** The metadata Kazoo sends as query parameters, as far as this product knows them. */
export interface UrlFields {
  callId: string;
  format: RecordingFormat;
  accountId: string;
  /** Kazoo's recording doc id (YYYYMM-<hex>). */
  recordingId: string;
  cdrId: string;
  from?: string;
  to?: string;
  callerIdName?: string;
  callerIdNumber?: string;
  interactionId?: string;
  ownerId?: string;
  /** Recording start, Unix epoch milliseconds (sent as Kazoo Gregorian seconds). */
  startedAt?: number;
  durationMs?: number;
}

export function urlFieldsOf(meta: RecordingMeta, recordingId: string, cdrId: string): UrlFields {
  return {
    callId: meta.callId,
    format: meta.format,
    accountId: meta.accountId,
    recordingId,
    cdrId,
    from: meta.from,
    to: meta.to,
    callerIdName: meta.callerIdName,
    callerIdNumber: meta.callerIdNumber,
    interactionId: meta.interactionId,
    ownerId: meta.ownerId,
    startedAt: meta.startedAt,
    durationMs: meta.durationMs,
  };
}

/** Splits like kz_http_util:urlsplit/1, keeping only what the builder needs. */
function splitQuery(url: string): { beforeQuery: string; query: string } {
  const q = url.indexOf('?');
  if (q < 0) return { beforeQuery: url, query: '' };
  return { beforeQuery: url.slice(0, q), query: url.slice(q + 1) };
}

/** kzc_recording:check_url_param/1 applied to the last parameter of an existing query. */
function joinerForQuery(query: string): string {
  const params = query.split('&');
  const last = params[params.length - 1];
  const eq = last.indexOf('=');
  if (eq < 0) return '='; // "?file" -> "?file=call_recording_..."
  if (eq === last.length - 1) return ''; // "?name=" -> "?name=call_recording_..."
  return '&recording='; // "?a=b" -> "?a=b&recording=call_recording_..."
}

function field(v: string | number | undefined): string {
  // kz_json:get_ne_binary_value: absent or empty -> nothing; numbers are written in decimal.
  if (v === undefined || v === '') return '';
  return uriEncode(String(v));
}

/**
 * The upload URL for a recording. Pure.
 *
 * Deviations, each because Kazoo's literal result would not be a usable URL: a fragment
 * ("#...") is dropped (it is never sent in HTTP and Kazoo would append after it), and a bare
 * trailing "?" is treated as no query string.
 */
export function buildUploadUrl(baseUrl: string, f: UrlFields): string {
  let url = baseUrl;
  const hash = url.indexOf('#');
  if (hash >= 0) url = url.slice(0, hash);
  if (url.endsWith('?')) url = url.slice(0, -1);

  // kz_att_http:put_attachment/6: kz_binary:strip_right(Url, $/), then base_separator/1.
  const base = url.replace(/\/+$/, '');
  const baseSeparator = splitQuery(base).query === '' ? '/' : '';

  // kzc_recording:check_url/1 looks at the URL as configured (before stripping).
  const { query } = splitQuery(url);
  const [s1, s2] = query === '' ? ['', '?'] : [joinerForQuery(query), '&'];

  const start = f.startedAt === undefined ? undefined : Math.floor(f.startedAt / 1000) + GREGORIAN_UNIX_OFFSET;
  const parts = [
    `${s1}call_recording_${field(f.callId)}.${f.format}`,
    `${s2}from=${field(f.from)}`,
    `&to=${field(f.to)}`,
    `&caller_id_name=${field(f.callerIdName)}`,
    `&caller_id_number=${field(f.callerIdNumber)}`,
    `&call_id=${field(f.callId)}`,
    `&cdr_id=${field(f.cdrId)}`,
    `&interaction_id=${field(f.interactionId)}`,
    `&owner_id=${field(f.ownerId)}`,
    // Kazoo passes account_id and recording_id as constants (unencoded); both are hex ids, and
    // encoding them here is a no-op for such ids while keeping a malformed id from breaking the URL.
    `&account_id=${field(f.accountId)}`,
    `&start=${field(start)}`,
    `&duration_ms=${field(f.durationMs)}`,
    `&recording_id=${field(f.recordingId)}`,
  ];
  return base + baseSeparator + parts.join('');
}
