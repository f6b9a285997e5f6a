/**
 * An SRTP sender for the tests (RFC 3711, AES_CM_128_HMAC_SHA1_80, key derivation rate 0,
 * rollover counter 0): protects RTP packets under a master key, so a test can send with the key
 * it put in its SDP (RFC 4568 a=crypto inline:) or with another one.
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

export interface SrtpMasterKey {
  key: Buffer;
  salt: Buffer;
}

export function newMasterKey(): SrtpMasterKey {
  return { key: randomBytes(16), salt: randomBytes(14) };
}

/** The `inline:` value of an a=crypto line: base64 of key || salt (RFC 4568 6.1). */
export function inlineKey(k: SrtpMasterKey): string {
  return Buffer.concat([k.key, k.salt]).toString('base64');
}

function aesCm(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-ctr', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** RFC 3711 4.3.1 with kdr 0: x = (label << 48) XOR master salt, keystream of AES-CM at x * 2^16. */
function derive(k: SrtpMasterKey, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  k.salt.copy(iv, 0);
  iv[7] ^= label;
  return aesCm(k.key, iv, Buffer.alloc(length));
}

/** Protects RTP packets (12-byte header, no CSRC/extension) of one sender. */
export function srtpProtector(k: SrtpMasterKey): (rtp: Buffer) => Buffer {
  const encKey = derive(k, 0, 16);
  const authKey = derive(k, 1, 20);
  const salt = derive(k, 2, 14);
  return (rtp) => {
    const seq = rtp.readUInt16BE(2);
    // RFC 3711 4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16), index = ROC * 2^16 + SEQ.
    const iv = Buffer.alloc(16);
    salt.copy(iv, 0);
    for (let i = 0; i < 4; i++) iv[4 + i] ^= rtp[8 + i];
    iv[12] ^= seq >> 8;
    iv[13] ^= seq & 0xff;
    const packet = Buffer.concat([rtp.subarray(0, 12), aesCm(encKey, iv, rtp.subarray(12))]);
    const tag = createHmac('sha1', authKey).update(packet).update(Buffer.alloc(4)).digest().subarray(0, 10);
    return Buffer.concat([packet, tag]);
  };
}
