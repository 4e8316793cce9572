// The stand-ins' TLS clients (API client, the API server's etcd client) check a server certificate as Go does:
// the name (Node's own check), then the extended key usage, which Node leaves out (crypto/x509 Verify, ServerAuth).
import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { serverCertificateProblem } from '../../harness/standins/common/client.js';

const cert = (ext_key_usage?: string[]): PeerCertificate =>
  ({ subject: { CN: 'kube-apiserver' }, subjectaltname: 'DNS:localhost, IP Address:127.0.0.1', ...(ext_key_usage && { ext_key_usage }) }) as unknown as PeerCertificate;

describe('server certificate checks of the stand-in clients', () => {
  it('accepts serverAuth, any usage, or no extended key usage at all', () => {
    expect(serverCertificateProblem('127.0.0.1', cert(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']))).toBeUndefined();
    expect(serverCertificateProblem('localhost', cert(['2.5.29.37.0']))).toBeUndefined();
    expect(serverCertificateProblem('127.0.0.1', cert())).toBeUndefined();
  });

  it('refuses a client-only certificate as Go does, and a name not in the SANs', () => {
    expect(serverCertificateProblem('127.0.0.1', cert(['1.3.6.1.5.5.7.3.2']))?.message).toBe('tls: failed to verify certificate: x509: certificate specifies an incompatible key usage');
    expect(serverCertificateProblem('10.0.0.1', cert(['1.3.6.1.5.5.7.3.1']))?.message).toMatch(/IP: 10\.0\.0\.1 is not in the cert's list/);
  });
});
