// A small ssh2 client for the harness itself (readiness checks) and for its tests: key login, and the server's key
// must match the fingerprint the harness recorded; nothing here trusts an unknown host key.

import fs from 'node:fs';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { fingerprintOfKeyBlob } from './keys.js';

export interface SshTarget {
  address: string;
  port: number;
  user: string;
  hostKeySha256: string;
}

export interface SshExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class HarnessSsh {
  private constructor(private readonly client: Client) {}

  static connect(target: SshTarget, privateKeyPath: string, timeoutMs = 10_000): Promise<HarnessSsh> {
    const client = new Client();
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      privateKey: fs.readFileSync(privateKeyPath),
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => fingerprintOfKeyBlob(key) === target.hostKeySha256,
    };
    return new Promise((resolve, reject) => {
      client.once('ready', () => resolve(new HarnessSsh(client)));
      client.once('error', (e) => {
        client.end();
        reject(e);
      });
      client.connect(config);
    });
  }

  exec(command: string, stdin?: string): Promise<SshExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = '';
        let stderr = '';
        let code = -1;
        stream.on('data', (b: Buffer) => (stdout += b.toString()));
        stream.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        stream.on('exit', (c: number | null) => (code = c ?? -1));
        stream.on('close', () => resolve({ code, stdout, stderr }));
        stream.end(stdin ?? '');
      });
    });
  }

  sftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
  }

  close(): void {
    this.client.end();
  }
}
