import t from 'tap';
import { classifyTlsError, type TlsFailureReason } from '../../../../src/engine/sip';

t.test('TLS handshake errors map to a closed set of reasons (the metric label)', async (t) => {
  const err = (code: string | undefined, message: string): Error & { code?: string } => Object.assign(new Error(message), code ? { code } : {});
  const cases: [Error & { code?: string }, TlsFailureReason][] = [
    [err('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'not_tls'],
    [err('ERR_SSL_HTTP_REQUEST', 'http request'), 'not_tls'],
    [err('ERR_SSL_UNSUPPORTED_PROTOCOL', 'unsupported protocol'), 'protocol_version'],
    [err('ERR_SSL_NO_SHARED_CIPHER', 'no shared cipher'), 'no_shared_cipher'],
    [err('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', 'peer did not return a certificate'), 'no_client_cert'],
    [err('CERT_HAS_EXPIRED', 'certificate has expired'), 'cert_expired'],
    [err('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), 'bad_certificate'],
    [err('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'bad_certificate'],
    [err('ERR_TLS_HANDSHAKE_TIMEOUT', 'TLS handshake timeout'), 'timeout'],
    [err('ECONNRESET', 'socket hang up'), 'other'],
  ];
  for (const [e, want] of cases) t.equal(classifyTlsError(e), want, e.message);
});
