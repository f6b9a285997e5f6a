/**
 * SIP over TLS (RFC 3261 26.2, RFC 5246 / RFC 8446 through node:tls): the settings, the files
 * they name, the server and client options built from them, and why a handshake failed.
 * Pure apart from reading the certificate files.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions, TLSSocket, TlsOptions } from 'node:tls';
import { SipTransportError } from '../errors';

export interface TlsSettings {
  host: string;
  port: number;
  /** Advertised in Via/Contact instead of the bound host (NAT, 0.0.0.0). */
  externalHost?: string;
  /** PEM server certificate (chain) and its private key; reread by reload(). */
  certFile: string;
  keyFile: string;
  /** CAs we trust when we connect out (trunks, phones whose flow closed); default: Node's bundled roots. */
  caFile?: string;
  /** CAs a client certificate must chain to; setting it makes the listener ask for one. */
  clientCaFile?: string;
  /** Refuse the handshake of a client without a valid certificate (trunks with mutual TLS). */
  requireClientCert: boolean;
  /** Oldest protocol accepted (RFC 8996 deprecates TLS 1.0 and 1.1). */
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are all AEAD and left to OpenSSL). */
  ciphers: string;
  /** A handshake must complete within this long. */
  handshakeTimeoutMs: number;
}

/**
 * TLS 1.2 suites with forward secrecy and AEAD only (RFC 9325 4.2): clients offering nothing
 * better than CBC, RC4, 3DES or static RSA key exchange are refused.
 */
export const DEFAULT_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  clientCa?: Buffer;
  /** Of the server certificate, for the log (never the key). */
  subject: string;
  validTo: Date;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new SipTransportError('ERR_SIP_TLS_CONFIG', `cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * Reads and checks the files: the key must belong to the certificate. An expired certificate
 * is loaded (the caller logs it): refusing to start would take plain SIP down with it.
 */
export function loadTlsMaterial(s: TlsSettings): TlsMaterial {
  const cert = read(s.certFile, 'certificate');
  const key = read(s.keyFile, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new SipTransportError('ERR_SIP_TLS_CONFIG', `${s.certFile} is not a PEM certificate: ${(err as Error).message}`);
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new SipTransportError('ERR_SIP_TLS_CONFIG', `${s.keyFile} is not a PEM private key: ${(err as Error).message}`);
  }
  if (!matches) throw new SipTransportError('ERR_SIP_TLS_CONFIG', `${s.keyFile} is not the key of ${s.certFile}`);
  return {
    key, cert,
    ...(s.caFile ? { ca: read(s.caFile, 'CA file') } : {}),
    ...(s.clientCaFile ? { clientCa: read(s.clientCaFile, 'client CA file') } : {}),
    subject: x509.subject.replace(/\n/g, ', '),
    validTo: new Date(x509.validTo),
  };
}

export function serverOptions(s: TlsSettings, m: TlsMaterial): TlsOptions {
  return {
    key: m.key,
    cert: m.cert,
    minVersion: s.minVersion,
    ciphers: s.ciphers,
    honorCipherOrder: true,
    handshakeTimeout: s.handshakeTimeoutMs,
    // RFC 3261 26.3.2.2: a trunk may be authenticated by its certificate (mutual TLS). The
    // verdict is checked by clientCertFailure() once the handshake is done, so a refusal says
    // why (Node's own rejectUnauthorized only reports a hang-up).
    ...(m.clientCa ? { ca: m.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
  };
}

/** Outbound: the peer's certificate must name `host` (RFC 5922); ours is offered to servers asking for one. */
export function clientOptions(s: TlsSettings, m: TlsMaterial, host: string, port: number): ConnectionOptions {
  return {
    host, port,
    key: m.key,
    cert: m.cert,
    minVersion: s.minVersion,
    ciphers: s.ciphers,
    rejectUnauthorized: true,
    ...(m.ca ? { ca: m.ca } : {}),
    // SNI carries host names only (RFC 6066 3).
    ...(isIP(host) ? {} : { servername: host }),
  };
}

/** Why an accepted handshake's client certificate is refused, or null when it is acceptable. */
export function clientCertFailure(s: TlsSettings, socket: TLSSocket): { reason: TlsFailureReason; detail: string } | null {
  if (!s.clientCaFile || !s.requireClientCert || socket.authorized) return null;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return { reason: 'no_client_cert', detail: 'no client certificate' };
  const code = String(socket.authorizationError ?? 'unknown');
  return { reason: /EXPIRED/.test(code) ? 'cert_expired' : 'bad_certificate', detail: code };
}

/** Why a handshake failed, as a closed set (the metric's label). */
export type TlsFailureReason =
  | 'not_tls' | 'protocol_version' | 'no_shared_cipher' | 'cert_expired' | 'bad_certificate'
  | 'no_client_cert' | 'timeout' | 'other';

export const TLS_FAILURE_REASONS: readonly TlsFailureReason[] = [
  'not_tls', 'protocol_version', 'no_shared_cipher', 'cert_expired', 'bad_certificate', 'no_client_cert', 'timeout', 'other',
];

/** Maps an OpenSSL / Node error (code, else message) to a reason. */
export function classifyTlsError(err: Error & { code?: string }): TlsFailureReason {
  const text = `${err.code ?? ''} ${err.message}`.toUpperCase();
  if (/HANDSHAKE_TIMEOUT/.test(text)) return 'timeout';
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|RECORD_LAYER_FAILURE|RECORD_TOO_LONG/.test(text)) return 'not_tls';
  if (/UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|NO_PROTOCOLS_AVAILABLE|TOO_LOW|VERSION_TOO/.test(text)) return 'protocol_version';
  if (/NO_SHARED_CIPHER|NO_CIPHERS|NO_SUITABLE|HANDSHAKE_FAILURE/.test(text)) return 'no_shared_cipher';
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(text)) return 'no_client_cert';
  if (/EXPIRED/.test(text)) return 'cert_expired';
  if (/CERT|UNABLE_TO_GET_ISSUER|SELF_SIGNED|UNKNOWN_CA|ERR_TLS_CERT_ALTNAME|DEPTH_ZERO|SIGNATURE/.test(text)) return 'bad_certificate';
  return 'other';
}
