// The lock on one host, held for a run. flock(1) on /run/kubeup/lock, held by a small process on the host that lives
// exactly as long as this run's SSH connection (it watches the sshd process that serves it): a kubeup that exits,
// crashes or is killed, or a connection that drops, releases the lock within a second, with nothing left to clean.
// /run is emptied on reboot. Who holds it is in /run/kubeup/lock.holder, read when the lock is busy.
import { KubeupError } from '../errors.js';
import type { HostSession } from '../ssh/session.js';
import { FORCE_UNLOCK_RISK, LockError } from './errors.js';
import { describeHolder, holderIsGone, parseHolder, type LockHolder } from './holder.js';

export const HOST_LOCK_DIR = '/run/kubeup';

const BUSY = 75;
const NO_SSHD = 76;
const STUCK = 77;
const NO_FLOCK = 78;

// $1 holder record (JSON), $2 "force" or "". Finds the sshd process of this connection among our ancestors, takes the
// lock on fd 9 and hands fd 9 to a background holder that ends when that sshd process ends (or when released).
const ACQUIRE = `d=${HOST_LOCK_DIR}
command -v flock >/dev/null 2>&1 && command -v setsid >/dev/null 2>&1 || exit ${NO_FLOCK}
mkdir -p -m 0700 "$d" || exit 1
p=$$ s=
while [ "$p" -gt 1 ]; do
  case "$(cat /proc/$p/comm 2>/dev/null)" in sshd|sshd-session) s=$p; break;; esac
  p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null)
  [ -n "$p" ] || break
done
[ -n "$s" ] || exit ${NO_SSHD}
exec 9>>"$d/lock"
if ! flock -n 9; then
  if [ "$2" != force ]; then cat "$d/lock.holder" 2>/dev/null; exit ${BUSY}; fi
  old=$(cat "$d/lock.pid" 2>/dev/null)
  if [ -n "$old" ] && [ "$(readlink /proc/$old/fd/9 2>/dev/null)" = "$d/lock" ]; then kill "$old" 2>/dev/null; fi
  flock -w 5 9 || exit ${STUCK}
fi
printf '%s\\n' "$1" > "$d/lock.holder"
setsid sh -c 'trap "" HUP; while kill -0 "$1" 2>/dev/null; do sleep 1 9>&-; done' sh "$s" </dev/null >/dev/null 2>&1 &
echo $! > "$d/lock.pid"
echo acquired`;

// $1 run id: only this run's lock is released.
const RELEASE = `d=${HOST_LOCK_DIR}
grep -q "\\"runId\\":\\"$1\\"" "$d/lock.holder" 2>/dev/null || exit 0
pid=$(cat "$d/lock.pid" 2>/dev/null)
rm -f "$d/lock.holder" "$d/lock.pid"
[ -n "$pid" ] && kill "$pid" 2>/dev/null
exit 0`;

export interface HostLock {
  readonly host: string;
  /** Ends the holder on the host. Never throws: when the connection is gone the lock went with it. */
  release(): Promise<void>;
}

export interface HostLockRequest {
  holder: LockHolder;
  force?: boolean;
  onWarning?: (message: string) => void;
  now?: Date;
}

export async function acquireHostLock(session: HostSession, host: string, req: HostLockRequest): Promise<HostLock> {
  const attempt = (force: boolean) => session.exec(['sh', '-c', ACQUIRE, 'sh', JSON.stringify(req.holder), force ? 'force' : ''], { sudo: true, allowFailure: true, timeoutMs: 20_000 });
  let r = await attempt(req.force === true);
  if (r.code === BUSY) {
    const other = parseHolder(r.stdout.trim());
    // A holder that ran on this machine and is gone: its connection may linger on the host (a dropped network). Safe.
    if (other && holderIsGone(other)) {
      req.onWarning?.(`took over the stale lock on ${host}: ${describeHolder(other, req.now)} is no longer running`);
      r = await attempt(true);
    } else {
      throw new LockError(`${host} is locked by another kubeup run: ${other ? describeHolder(other, req.now) : 'holder unknown'}`, other, {
        host,
        file: `${HOST_LOCK_DIR}/lock`,
        hint: `wait for that run to finish (or stop it); the lock ends by itself when its SSH connection closes; if it is stuck, run again with --force-unlock (${FORCE_UNLOCK_RISK})`,
      });
    }
  } else if (req.force && r.code === 0) {
    req.onWarning?.(`--force-unlock: took the lock on ${host}`);
  }
  if (r.code !== 0 || r.stdout.trim().split('\n').pop() !== 'acquired') throw acquireError(host, r.code, r.stderr);
  let released = false;
  return {
    host,
    release: async () => {
      if (released) return;
      released = true;
      await session.exec(['sh', '-c', RELEASE, 'sh', req.holder.runId], { sudo: true, allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
    },
  };
}

function acquireError(host: string, code: number, stderr: string): KubeupError {
  const where = { host, file: `${HOST_LOCK_DIR}/lock` };
  switch (code) {
    case NO_FLOCK:
      return new LockError(`cannot lock ${host}: flock or setsid is not installed`, undefined, { ...where, hint: 'install util-linux (it provides flock) on the host' });
    case NO_SSHD:
      return new LockError(`cannot lock ${host}: the command does not run under sshd`, undefined, { ...where, hint: 'kubeup needs a plain OpenSSH server on the host' });
    case STUCK:
      return new LockError(`--force-unlock could not take the lock on ${host}: its holder did not let go within 5 s`, undefined, {
        ...where,
        hint: `find the holder with fuser -v ${HOST_LOCK_DIR}/lock on the host and stop it`,
      });
  }
  return new LockError(`cannot lock ${host} (exit ${code}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''})`, undefined, { ...where, hint: `check that ${HOST_LOCK_DIR} on the host is writable by root` });
}
