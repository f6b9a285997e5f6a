import type { PlainFile } from '../../delivery/spool-files';
import { DeliveryError } from '../../delivery/errors';
import { parseS3Url, pieces, s3Error, s3Request, type S3ClientOptions, type S3Target } from './client';

export interface S3UploadInput {
  readonly target: S3Target;
  /** s3://bucket/prefix/<name> as the record holds it. */
  readonly url: string;
  readonly body: PlainFile;
  readonly contentType: string;
  /** Sent as x-amz-meta-<name> (ASCII; other characters percent-encoded). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly partSize: number;
  readonly multipartThreshold: number;
}

function metaHeaders(m: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) out[`x-amz-meta-${k.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`] = /^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v);
  return out;
}

const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Uploads a recording to S3: one PutObject up to the threshold, else a multipart upload
 * (CreateMultipartUpload, UploadPart per part, CompleteMultipartUpload), aborted on any failure
 * so no orphan parts stay billed. Every request is signed (SigV4) with its payload's SHA-256.
 */
export async function s3Upload(i: S3UploadInput, o: S3ClientOptions): Promise<{ status: number; bytes: number; finalUrl: string }> {
  const { bucket, prefix } = parseS3Url(i.url);
  const key = prefix;
  const headers = { 'content-type': i.contentType, ...metaHeaders(i.metadata) };
  if (i.body.size <= i.multipartThreshold) {
    const chunks: Buffer[] = [];
    for await (const c of i.body.open()) chunks.push(c as Buffer);
    const res = await s3Request(i.target, o, 'PUT', bucket, key, [], headers, Buffer.concat(chunks));
    if (res.status < 200 || res.status > 299) throw s3Error(res);
    return { status: res.status, bytes: i.body.size, finalUrl: i.url };
  }
  const created = await s3Request(i.target, o, 'POST', bucket, key, [['uploads', '']], headers, Buffer.alloc(0));
  if (created.status !== 200) throw s3Error(created);
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body)?.[1];
  if (!uploadId) throw new DeliveryError('http_status', 'CreateMultipartUpload answered without an UploadId', true);
  try {
    const etags: string[] = [];
    for await (const part of pieces(i.body.open(), i.partSize)) {
      const n = etags.length + 1;
      const res = await s3Request(i.target, o, 'PUT', bucket, key, [['partNumber', String(n)], ['uploadId', uploadId]], {}, part);
      const etag = res.headers.etag;
      if (res.status !== 200 || typeof etag !== 'string') throw s3Error(res);
      etags.push(etag);
    }
    const xml = `<CompleteMultipartUpload>${etags.map((e, k) => `<Part><PartNumber>${k + 1}</PartNumber><ETag>${xmlText(e)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const done = await s3Request(i.target, o, 'POST', bucket, key, [['uploadId', uploadId]], { 'content-type': 'application/xml' }, Buffer.from(xml));
    // CompleteMultipartUpload may answer 200 with an <Error> body (S3 API reference).
    if (done.status !== 200 || done.body.includes('<Error>')) throw s3Error(done);
    return { status: done.status, bytes: i.body.size, finalUrl: i.url };
  } catch (err) {
    await s3Request(i.target, { ...o, signal: undefined }, 'DELETE', bucket, key, [['uploadId', uploadId]], {}, Buffer.alloc(0)).catch(() => undefined);
    throw err;
  }
}
