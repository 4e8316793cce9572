// The certificate a daemon actually presents in a TLS handshake, not the file on its disk: from this machine for a
// port it can reach, or with openssl on the host for one that listens on the host's loopback (etcd).
import { connect } from 'node:tls';
import type { HostSession } from '../ssh/session.js';

/** Serials compared as openssl, Node and Go print them: upper-case hex without leading zeros. */
export const normalSerial = (s: string) => s.replace(/^serial=/i, '').trim().toUpperCase().replace(/^0+(?=.)/, '');

/** The serial of the leaf certificate the server at address:port presents; its chain must verify against caPem. */
export function presentedSerial(address: string, port: number, caPem: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port, ca: caPem, rejectUnauthorized: true, checkServerIdentity: () => undefined, ALPNProtocols: ['http/1.1'], timeout: timeoutMs });
    const fail = (e: Error) => {
      socket.destroy();
      reject(new Error(`TLS handshake with ${address}:${port}: ${e.message}`));
    };
    socket.once('secureConnect', () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(normalSerial(serial));
    });
    socket.once('timeout', () => fail(new Error(`no answer in ${timeoutMs / 1000} s`)));
    socket.once('error', fail);
  });
}

// $1 address, $2 port, $3 CA file, $4/$5 client certificate and key (may be empty). The served chain must verify.
const ON_HOST = `out=$(openssl s_client -connect "$1:$2" -CAfile "$3" \${4:+-cert "$4" -key "$5"} -verify_return_error </dev/null 2>/dev/null) || { echo "handshake failed" >&2; exit 1; }
printf '%s\\n' "$out" | openssl x509 -noout -serial`;

/** The same, seen from the host itself with openssl (the port listens only on its loopback). */
export async function presentedSerialOnHost(session: HostSession, address: string, port: number, caFile: string, client?: { cert: string; key: string }): Promise<string> {
  const r = await session.exec(['sh', '-c', ON_HOST, 'sh', address, String(port), caFile, client?.cert ?? '', client?.key ?? ''], { sudo: true, allowFailure: true, timeoutMs: 20_000 });
  if (r.code !== 0 || !/serial=/i.test(r.stdout)) throw new Error(`openssl s_client to ${address}:${port} on the host: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`);
  return normalSerial(r.stdout);
}
