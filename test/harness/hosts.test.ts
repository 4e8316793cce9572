// The test hosts are real: sshd, systemd, SFTP, sudo and TCP between hosts are checked over real connections, and
// teardown is checked against the kernel's view (links, mounts, cgroups, processes).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HarnessSsh, hostsStatus, startHosts, type TestCluster, type TestHost } from './hosts/index.js';
import { fingerprintOfPublicKeyLine, generateClientKey } from './hosts/keys.js';
import { BRIDGE, BRIDGE_ADDRESS, STATE_DIR } from './hosts/paths.js';
import { withFileLock } from './hosts/lock.js';
import { isAlive } from './hosts/processes.js';
import { waitUntilReady } from './hosts/ready.js';
import { ROOTFS_PACKAGES, ROOTFS_RECIPE, ensureRootfs, rootfsKey, rootfsPath } from './hosts/rootfs.js';
import { hostFolderNames, readClusterRecord } from './hosts/record.js';
import { run } from './hosts/run.js';
import { describeWithHosts, hostsSkipReason } from './skip.js';

const REPO = path.resolve(import.meta.dirname, '../..');

type Probe = 'open' | 'refused' | 'unreachable';

/** What a TCP connect from this machine gets: a listener, a refusal (host up, port closed), or nothing. */
function tcpProbe(address: string, port: number, timeoutMs = 3_000): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (result: Probe) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done('unreachable'));
    socket.once('connect', () => done('open'));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'));
  });
}

/** Everything the harness can leave on the machine. */
async function traces() {
  const link = await run(['ip', 'link', 'show', 'dev', BRIDGE], { allowFailure: true });
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(STATE_DIR));
  const cgroups = fs
    .readdirSync('/sys/fs/cgroup')
    .flatMap((c) => {
      try {
        return fs.readdirSync(path.join('/sys/fs/cgroup', c)).map((d) => `${c}/${d}`);
      } catch {
        return [];
      }
    })
    .filter((d) => /\/kubeup-h\d+$/.test(d));
  return { bridge: link.code === 0, mounts, cgroups, hostFolders: hostFolderNames() };
}

const NOTHING_LEFT = { bridge: false, mounts: [], cgroups: [], hostFolders: [] };

function runCli(args: string[]) {
  return run(['node', '--import', 'tsx', path.join(REPO, 'test/harness/hosts-cli.ts'), ...args], { allowFailure: true });
}

describeWithHosts('test hosts', () => {
  let cluster: TestCluster;
  const host = (name: string): TestHost => {
    const h = cluster.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  };
  async function onHost<T>(h: TestHost, fn: (ssh: HarnessSsh) => Promise<T>): Promise<T> {
    const ssh = await HarnessSsh.connect(h, cluster.privateKeyPath);
    try {
      return await fn(ssh);
    } finally {
      ssh.close();
    }
  }

  beforeAll(async () => {
    cluster = await startHosts({ count: 5, variants: { 3: { machine: 'restricted' }, 4: { sudoPassword: true }, 5: { sshPort: 2222 } } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts each host with its own name, address, machine-id and host key, reachable with the generated key', async () => {
    expect(cluster.hosts.map((h) => [h.name, h.address, h.user, h.port])).toEqual([
      ['h1', '192.168.213.11', 'root', 22],
      ['h2', '192.168.213.12', 'root', 22],
      ['h3', '192.168.213.13', 'root', 22],
      ['h4', '192.168.213.14', 'deploy', 22],
      ['h5', '192.168.213.15', 'root', 2222],
    ]);
    expect(fs.statSync(cluster.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(cluster.publicKey).toMatch(/^ssh-ed25519 /);

    const seen = await Promise.all(
      cluster.hosts.map((h) =>
        onHost(h, async (ssh) => {
          const r = await ssh.exec('hostname; cat /etc/machine-id; ip -4 -o addr show dev host0; systemctl is-system-running');
          expect(r.code).toBe(0);
          const [name, machineId, addr, state] = r.stdout.trim().split('\n');
          expect(name).toBe(h.name);
          expect(addr).toContain(`inet ${h.address}/24`);
          expect(state).toBe('running');
          return machineId;
        }),
      ),
    );
    expect(new Set(seen).size).toBe(cluster.hosts.length);
    expect(new Set(cluster.hosts.map((h) => h.hostKeySha256)).size).toBe(cluster.hosts.length);
  });

  it('gives a full host /dev/kmsg, writable /proc/sys and cgroup controllers; a restricted one none; conntrack max read-only on both', async () => {
    // What kubelet and kube-proxy touch first (test/README.md, "Test hosts" › machines). Writes put back the value read.
    const probe = [
      'echo "kmsg=$(dd if=/dev/kmsg bs=8192 count=1 2>/dev/null | head -c 2 | grep -c . || true)"',
      'v=$(cat /proc/sys/vm/overcommit_memory); echo "sysctl=$( (echo $v > /proc/sys/vm/overcommit_memory) 2>/dev/null && echo rw || echo ro)"',
      'echo "cgroup=$(mkdir /sys/fs/cgroup/memory/kubeup-probe 2>/dev/null && rmdir /sys/fs/cgroup/memory/kubeup-probe && echo rw || echo ro)"',
      'c=$(cat /proc/sys/net/netfilter/nf_conntrack_max); echo "conntrack=$( (echo $c > /proc/sys/net/netfilter/nf_conntrack_max) 2>/dev/null && echo rw || echo ro)"',
      'echo "sysmodule=$([ -e /sys/module/nf_conntrack/parameters/hashsize ] && echo yes || echo no)"',
      'echo "virt=$(systemd-detect-virt -c)"',
      'echo "sysctlunit=$(systemctl is-enabled systemd-sysctl 2>/dev/null)"',
    ].join('; ');
    const seen = await Promise.all(
      ['h1', 'h3'].map((n) => onHost(host(n), async (ssh) => (await ssh.exec(probe)).stdout.trim().split('\n'))),
    );
    expect(host('h1').machine).toBe('full');
    expect(seen[0]).toEqual(['kmsg=1', 'sysctl=rw', 'cgroup=rw', 'conntrack=ro', 'sysmodule=yes', 'virt=systemd-nspawn', 'sysctlunit=masked']);
    expect(host('h3').machine).toBe('restricted');
    expect(seen[1]).toEqual(['kmsg=0', 'sysctl=ro', 'cgroup=ro', 'conntrack=ro', 'sysmodule=no', 'virt=systemd-nspawn', 'sysctlunit=static']);
  });

  it('refuses a host whose key is not the one the harness recorded', async () => {
    const h1 = host('h1');
    await expect(HarnessSsh.connect({ ...h1, hostKeySha256: host('h2').hostKeySha256 }, cluster.privateKeyPath)).rejects.toThrow(
      /verif/i,
    );
  });

  it('writes a known_hosts file that OpenSSH accepts under strict checking, and only for these hosts', async () => {
    const lines = fs.readFileSync(cluster.knownHostsPath, 'utf8').trim().split('\n');
    for (const h of cluster.hosts) {
      const pattern = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
      const mine = lines.filter((l) => l.startsWith(`${pattern} `));
      expect(mine.map((l) => l.split(' ')[1]).sort()).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
      const ed = mine.find((l) => l.includes(' ssh-ed25519 ')) ?? '';
      expect(fingerprintOfPublicKeyLine(ed.slice(pattern.length + 1))).toBe(h.hostKeySha256);
    }
    const ssh = (knownHosts: string, h: TestHost) =>
      run(
        ['ssh', '-i', cluster.privateKeyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
          '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null',
          '-p', String(h.port), `${h.user}@${h.address}`, 'hostname'],
        { allowFailure: true },
      );
    for (const name of ['h1', 'h5']) {
      const r = await ssh(cluster.knownHostsPath, host(name));
      expect(r.stdout.trim(), r.stderr).toBe(name);
    }
    const empty = await ssh('/dev/null', host('h1'));
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/Host key verification failed/);
  });

  it('takes a file uploaded over SFTP into /opt', async () => {
    const content = `uploaded ${Date.now()}\n`;
    await onHost(host('h1'), async (ssh) => {
      expect((await ssh.exec('mkdir -p /opt/kubeup-test')).code).toBe(0);
      const sftp = await ssh.sftp();
      await new Promise<void>((resolve, reject) =>
        sftp.writeFile('/opt/kubeup-test/upload.txt', content, (err) => (err ? reject(err) : resolve())),
      );
      sftp.end();
      const r = await ssh.exec('cat /opt/kubeup-test/upload.txt; stat -c %U /opt/kubeup-test/upload.txt');
      expect(r.stdout).toBe(`${content}root\n`);
    });
    // Each host has its own overlay: the file is not on h2.
    const other = await onHost(host('h2'), (ssh) => ssh.exec('test -e /opt/kubeup-test/upload.txt'));
    expect(other.code).toBe(1);
  });

  it('runs a systemd unit written to /etc/systemd/system, and other hosts reach its port by name', async () => {
    const server = "require('http').createServer((q, s) => s.end('hello from ' + require('os').hostname())).listen(8080);\n";
    const unit = [
      '[Unit]',
      'Description=kubeup test hello server',
      '[Service]',
      'ExecStart=/usr/bin/node /opt/kubeup-test/hello.js',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n');
    await onHost(host('h1'), async (ssh) => {
      const sftp = await ssh.sftp();
      const put = (p: string, data: string) =>
        new Promise<void>((resolve, reject) => sftp.writeFile(p, data, (err) => (err ? reject(err) : resolve())));
      expect((await ssh.exec('mkdir -p /opt/kubeup-test')).code).toBe(0);
      await put('/opt/kubeup-test/hello.js', server);
      await put('/etc/systemd/system/kubeup-hello.service', unit);
      sftp.end();
      const r = await ssh.exec('systemctl daemon-reload && systemctl enable --now kubeup-hello.service');
      expect(r.code, r.stderr).toBe(0);
      expect((await ssh.exec('systemctl is-active kubeup-hello.service')).stdout.trim()).toBe('active');
      expect((await ssh.exec('systemctl is-enabled kubeup-hello.service')).stdout.trim()).toBe('enabled');
    });
    // From h2, through /etc/hosts and the bridge; retried while the server starts listening.
    const client =
      "const get = (n) => require('http').get('http://h1:8080', (r) => { let d = ''; r.on('data', (c) => (d += c));" +
      " r.on('end', () => console.log(d)); }).on('error', (e) => n > 0 ? setTimeout(() => get(n - 1), 250)" +
      ' : (console.error(e.message), process.exit(1))); get(40);';
    const r = await onHost(host('h2'), (ssh) => ssh.exec(`node -e ${JSON.stringify(client)}`));
    expect(r.stdout.trim(), r.stderr).toBe('hello from h1');
  });

  it('connects host to host over TCP (h1 to sshd on h2:22)', async () => {
    const r = await onHost(host('h1'), (ssh) =>
      ssh.exec("timeout 5 bash -c 'exec 3<>/dev/tcp/192.168.213.12/22; head -c 8 <&3'"),
    );
    expect(r.stdout).toBe('SSH-2.0-');
  });

  it('lets hosts reach a server on this machine at the bridge address (where the release mirror listens)', async () => {
    const server = net.createServer((socket) => socket.end('mirror'));
    const port = await new Promise<number>((resolve) =>
      server.listen(0, BRIDGE_ADDRESS, () => resolve((server.address() as net.AddressInfo).port)),
    );
    try {
      const r = await onHost(host('h2'), (ssh) =>
        ssh.exec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${BRIDGE_ADDRESS}/${port}; cat <&3'`),
      );
      expect(r.stdout).toBe('mirror');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives the sudo variant a deploy user whose sudo needs the password, and refuses root login', async () => {
    const h4 = host('h4');
    expect(h4.sudoPassword).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await onHost(h4, async (ssh) => {
      expect((await ssh.exec('id -un')).stdout.trim()).toBe('deploy');
      const noPassword = await ssh.exec('sudo -n true');
      expect(noPassword.code).toBe(1);
      expect(noPassword.stderr).toMatch(/password is required/);
      const wrong = await ssh.exec("sudo -S -p '' id -u", 'not-the-password\n');
      expect(wrong.code).not.toBe(0);
      const right = await ssh.exec("sudo -S -p '' id -u", `${h4.sudoPassword}\n`);
      expect(right.stdout.trim(), right.stderr).toBe('0');
    });
    await expect(HarnessSsh.connect({ ...h4, user: 'root' }, cluster.privateKeyPath)).rejects.toThrow(/authentication/i);
  });

  it('runs sshd of the port variant on its own port only', async () => {
    const h5 = host('h5');
    expect(await tcpProbe(h5.address, 2222)).toBe('open');
    expect(await tcpProbe(h5.address, 22)).toBe('refused');
    expect(await tcpProbe(host('h1').address, 2222)).toBe('refused');
    const r = await onHost(h5, (ssh) => ssh.exec('hostname'));
    expect(r.stdout.trim()).toBe('h5');
  });

  it('stop() of one host powers just that host off, cleanly or abruptly', async () => {
    const h3 = host('h3');
    expect(await tcpProbe(h3.address, 22)).toBe('open');
    await h3.stop();
    expect(isAlive(h3.pid)).toBe(false);
    expect(fs.existsSync(h3.dir)).toBe(false);
    expect(await tcpProbe(h3.address, 22)).toBe('unreachable');
    const fromH1 = await onHost(host('h1'), (ssh) => ssh.exec("timeout 3 bash -c 'exec 3<>/dev/tcp/192.168.213.13/22'"));
    expect(fromH1.code).not.toBe(0);
    for (const name of ['h1', 'h2', 'h5']) {
      const r = await onHost(host(name), (ssh) => ssh.exec('systemctl is-active ssh'));
      expect(r.stdout.trim()).toBe('active');
    }

    // Pulling the plug: no clean poweroff, but the same result.
    const h2 = host('h2');
    await h2.stop({ abrupt: true });
    expect(isAlive(h2.pid)).toBe(false);
    expect(await tcpProbe(h2.address, 22)).toBe('unreachable');
    const h1 = await onHost(host('h1'), (ssh) => ssh.exec('systemctl is-active ssh'));
    expect(h1.stdout.trim()).toBe('active');
    expect(hostsStatus().map((s) => [s.name, s.running])).toEqual([
      ['h1', true],
      ['h4', true],
      ['h5', true],
    ]);
  });

  it('stop() of the cluster leaves no bridge, mount, cgroup, process or folder behind', async () => {
    const pids = cluster.hosts.map((h) => h.pid);
    expect((await traces()).bridge).toBe(true);
    await cluster.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(await traces()).toEqual(NOTHING_LEFT);
    // A second stop finds nothing to do and does not fail.
    await cluster.stop();
  });

  it('keeps hosts from `npm run hosts -- up` after the CLI exits, refuses a second start, and `down` removes them', async () => {
    const up = startChild(['test/harness/hosts-cli.ts', 'up', '1']);
    try {
      expect(await up.exitCode, up.stderr()).toBe(0);
      expect(up.stdout()).toContain('root@192.168.213.11');
      expect(up.stdout()).toMatch(/ssh -i \S+id_ed25519 .* root@192\.168\.213\.11/);
      const [h1] = hostsStatus();
      expect(h1?.running).toBe(true);
      expect(await tcpProbe('192.168.213.11', 22)).toBe('open');

      await expect(startHosts({ count: 1 })).rejects.toThrow(/already running \(started by `npm run hosts -- up`\)/);

      const down = await runCli(['down']);
      expect(down.code, down.stderr).toBe(0);
      expect(isAlive(h1?.pid ?? 0)).toBe(false);
      expect(await traces()).toEqual(NOTHING_LEFT);
    } finally {
      // Hosts of `up` block every later start: never leave ours behind, and never touch anyone else's.
      if (readClusterRecord()?.ownerPid === up.pid) await runCli(['down']);
    }
  });

  it('makes a start in another process wait until these hosts stop, and refuses a second start in this one', async () => {
    const first = startChild([
      '--input-type=module',
      '-e',
      "import { startHosts } from './test/harness/hosts/index.ts';" +
        "const c = await startHosts({ count: 1 }); console.log('ready');" +
        "process.stdin.resume(); process.stdin.on('end', async () => { await c.stop(); console.log('stopped'); });",
    ]);
    const lines: string[] = [];
    let second: Promise<TestCluster> | undefined;
    try {
      await first.sees('ready');
      second = startHosts({ count: 2, log: (l) => lines.push(l) });
      await expect
        .poll(() => lines.join('\n'), { timeout: 10_000 })
        .toContain(`waiting for the test hosts of process ${first.pid} to stop`);
      expect(hostFolderNames()).toEqual(['h1']);
      first.endInput();
      await first.sees('stopped');
      const cluster2 = await second;
      try {
        expect(cluster2.hosts.map((h) => h.name)).toEqual(['h1', 'h2']);
        await expect(startHosts({ count: 1 })).rejects.toThrow(/this process already runs test hosts/);
      } finally {
        await cluster2.stop();
      }
      expect(await traces()).toEqual(NOTHING_LEFT);
    } finally {
      await first.kill();
      void second?.then((c) => c.stop(), () => {});
    }
  });

  it('cleans up, on the next start, the hosts of a run that was killed', async () => {
    const starter = startChild([
      '--input-type=module',
      '-e',
      "import { startHosts } from './test/harness/hosts/index.ts';" +
        "const c = await startHosts({ count: 2 }); console.log('ready ' + c.hosts.map((h) => h.pid).join(' ') + ';');" +
        'setInterval(() => {}, 1000);',
    ]);
    try {
      await starter.sees(';');
      const oldPids = (/ready ([\d ]+);/.exec(starter.stdout())?.[1] ?? '').split(' ').map(Number);
      await starter.kill();
      expect(oldPids.filter(isAlive)).toHaveLength(2);

      const next = await startHosts({ count: 1 });
      try {
        expect(oldPids.filter(isAlive)).toEqual([]);
        expect(hostFolderNames()).toEqual(['h1']);
        expect(await tcpProbe('192.168.213.12', 22)).toBe('unreachable');
        const r = await onHostOf(next, 'h1', 'hostname');
        expect(r.stdout.trim()).toBe('h1');
      } finally {
        await next.stop();
      }
      expect(await traces()).toEqual(NOTHING_LEFT);
    } finally {
      await starter.kill();
    }
  });
});

/** A node process (with tsx) in the repository: its output, a wait for a word in it, its end. */
function startChild(args: string[]) {
  const child = spawn('node', ['--import', 'tsx', ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exitCode = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return {
    pid: child.pid,
    exitCode,
    stdout: () => stdout,
    stderr: () => stderr,
    sees: (word: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => stdout.includes(word) && resolve();
        child.stdout.on('data', check);
        check();
        void exitCode.then((code) => reject(new Error(`child exited ${code} before printing ${word}: ${stderr}`)));
      }),
    endInput: () => child.stdin.end(),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exitCode;
    },
  };
}

async function onHostOf(cluster: TestCluster, name: string, command: string) {
  const h = cluster.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  const ssh = await HarnessSsh.connect(h, cluster.privateKeyPath);
  try {
    return await ssh.exec(command);
  } finally {
    ssh.close();
  }
}

describe('test hosts: options and prerequisites', () => {
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it('rejects a host count or variant out of range, naming the field', async () => {
    await expect(startHosts({ count: 0 })).rejects.toMatchObject({ field: 'count' });
    await expect(startHosts({ count: 17 })).rejects.toMatchObject({ field: 'count' });
    await expect(startHosts({ count: 2, variants: { 3: { sudoPassword: true } } })).rejects.toMatchObject({
      field: 'variants.3',
    });
    await expect(startHosts({ count: 2, variants: { 2: { sshPort: 70000 } } })).rejects.toMatchObject({
      field: 'variants.2.sshPort',
    });
    await expect(startHosts({ count: 1, machine: 'vm' as never })).rejects.toMatchObject({ field: 'machine' });
    await expect(startHosts({ count: 1, variants: { 1: { machine: 'lxc' as never } } })).rejects.toMatchObject({ field: 'variants.1.machine' });
  });

  it('skips with a reason where hosts cannot run, and fails instead under CI', () => {
    process.env.PATH = '/nonexistent';
    const reason = hostsSkipReason({});
    expect(reason).toMatch(/^test hosts need /);
    expect(() => hostsSkipReason({ CI: 'true' })).toThrow(/required under CI=true: test hosts need /);
  });

  it('keys the cached root filesystem on its package list and recipe', () => {
    expect(rootfsKey()).toBe(rootfsKey([...ROOTFS_PACKAGES], structuredClone(ROOTFS_RECIPE)));
    expect(rootfsKey([...ROOTFS_PACKAGES, 'curl'])).not.toBe(rootfsKey());
    const recipe = structuredClone(ROOTFS_RECIPE);
    recipe.files['etc/hosts'] += '192.168.213.99\th99\n';
    expect(rootfsKey(ROOTFS_PACKAGES, recipe)).not.toBe(rootfsKey());
  });
});

describeWithHosts('test hosts: shared pieces', () => {
  it('builds a root filesystem without host keys or machine-id, with names for every host and noisy units masked', async () => {
    const { path: root } = await ensureRootfs();
    expect(root).toBe(rootfsPath());
    expect(fs.readdirSync(path.join(root, 'etc/ssh')).filter((n) => n.startsWith('ssh_host_'))).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'etc/machine-id'), 'utf8')).toBe('');
    expect(fs.readFileSync(path.join(root, 'etc/resolv.conf'), 'utf8')).toBe('');
    const hosts = fs.readFileSync(path.join(root, 'etc/hosts'), 'utf8');
    expect(hosts).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(hosts).toMatch(/^192\.168\.213\.11\th1$/m);
    expect(hosts).toMatch(/^192\.168\.213\.26\th16$/m);
    expect(fs.readlinkSync(path.join(root, 'etc/systemd/system/console-getty.service'))).toBe('/dev/null');
    expect(fs.readlinkSync(path.join(root, 'etc/systemd/system/apt-daily.timer'))).toBe('/dev/null');
    const wants = path.join(root, 'etc/systemd/system/multi-user.target.wants/systemd-networkd.service');
    expect(fs.existsSync(wants)).toBe(true);
  });

  it('holds a file lock against other processes, and frees it when its holder is killed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeup-lock-'));
    const lock = path.join(dir, 'lock');
    try {
      // While this process holds the lock, flock(1) from another process cannot take it.
      const tryLock = () => run(['flock', '--nonblock', lock, 'true'], { allowFailure: true });
      await withFileLock(lock, async () => {
        expect((await tryLock()).code).toBe(1);
      });
      expect((await tryLock()).code).toBe(0);

      // A holder that dies without unlocking (SIGKILL) does not leave the lock taken.
      const script = `import { withFileLock } from './test/harness/hosts/lock.ts';
        await withFileLock(${JSON.stringify(lock)}, async () => { console.log('holding'); await new Promise(() => {}); });`;
      const holder = spawn('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => holder.stdout.on('data', () => resolve()));
      expect((await tryLock()).code).toBe(1);
      const closed = new Promise((resolve) => holder.on('close', resolve));
      holder.kill('SIGKILL');
      await closed;
      const waited = await run(['flock', '--timeout', '10', lock, 'true'], { allowFailure: true });
      expect(waited.code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a host that dies while booting with the tail of its console log', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeup-host-'));
    try {
      fs.writeFileSync(path.join(dir, 'console.log'), 'Booting...\nFailed to mount API filesystems.\n');
      const record = {
        clusterId: 'test', index: 9, name: 'h9', address: '192.168.213.19', port: 22, user: 'root', dir, rootDir: path.join(dir, 'root'),
        pid: 999_999_999, cgroupDirs: [], hostKeySha256: 'SHA256:none',
      };
      const err = await waitUntilReady(record, '/nonexistent-key', 1_000).catch((e: unknown) => e);
      expect(err).toMatchObject({ host: 'h9', message: expect.stringMatching(/h9 stopped while booting/) });
      expect((err as Error).message).toContain('Failed to mount API filesystems.');

      // Alive but never answering (a closed port on loopback): gives up after the timeout, with the console tail.
      const closedPort = await new Promise<number>((resolve) => {
        const server = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as net.AddressInfo;
          server.close(() => resolve(port));
        });
      });
      const silent = { ...record, address: '127.0.0.1', port: closedPort, pid: process.pid };
      const key = await generateClientKey(path.join(dir, 'key'));
      const timedOut = await waitUntilReady(silent, key.privateKeyPath, 1_500).catch((e: unknown) => e);
      expect((timedOut as Error).message).toMatch(/h9 \(root@127\.0\.0\.1:\d+\) not ready after 1\.5 s: .*ECONNREFUSED/);
      expect((timedOut as Error).message).toContain('Failed to mount API filesystems.');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
