// Stand-ins are Node programs, but the real Kubernetes binaries are ELF executables, and kubeup checks that what it
// downloads is one (an HTML error page saved under a binary's name must not pass). So each stand-in ships as a real
// ELF: a tiny static launcher, compiled here with the machine's C compiler, followed by the bundled JavaScript. At run
// time the launcher execs `node -e <boot>`, and the boot code reads the JavaScript back out of the launcher's own file.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..', '..');

// Split so that the marker occurs in the file exactly once: where the JavaScript starts.
const MARKER = '\n/*KUBEUP-STANDIN-' + 'JS*/\n';
const BOOT = [
  "const fs=require('fs'),Module=require('module');",
  'const [self,arg0,...rest]=process.argv.slice(1);',
  "const m=Buffer.from('\\n/*KUBEUP-STANDIN-'+'JS*/\\n');",
  'const buf=fs.readFileSync(self);const i=buf.indexOf(m);',
  "if(i<0){console.error(self+': stand-in has no JavaScript part');process.exit(127);}",
  'process.argv=[process.execPath,arg0,...rest];',
  'const mod=new Module(self,null);mod.filename=self;mod.paths=Module._nodeModulePaths(\'/\');',
  "mod._compile(buf.subarray(i+m.length).toString('utf8'),self);",
].join('');

const LAUNCHER_C = `// kubeup test stand-in launcher: runs the JavaScript appended to this file with node.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static const char BOOT[] = ${JSON.stringify(BOOT)};
int main(int argc, char **argv) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) { perror("kubeup stand-in: /proc/self/exe"); return 127; }
  self[n] = 0;
  char **args = calloc((size_t)argc + 6, sizeof *args);
  if (!args) return 127;
  int k = 0;
  args[k++] = "node"; args[k++] = "-e"; args[k++] = (char *)BOOT; args[k++] = "--"; args[k++] = self; args[k++] = argv[0];
  for (int i = 1; i < argc; i++) args[k++] = argv[i];
  args[k] = 0;
  execvp("node", args);
  perror("kubeup stand-in: cannot run node");
  return 127;
}
`;

let launcher: Buffer | undefined;

/** The compiled launcher, built once per source change and cached in .cache/. */
export function launcherBinary(): Buffer {
  if (launcher) return launcher;
  const hash = createHash('sha256').update(LAUNCHER_C).digest('hex').slice(0, 16);
  const dir = join(REPO, '.cache', 'standin-launcher');
  const bin = join(dir, `launcher-${hash}`);
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const src = join(dir, `launcher-${hash}.c`);
    writeFileSync(src, LAUNCHER_C);
    const tmp = `${bin}.${process.pid}.tmp`;
    try {
      execFileSync('cc', ['-O2', '-static', '-o', tmp, src], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`cannot compile the stand-in launcher with cc (install gcc and libc6-dev): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
    }
    renameSync(tmp, bin);
  }
  launcher = readFileSync(bin);
  return launcher;
}

/** Rewrites a bundled stand-in (a `#!/usr/bin/env node` script) into an ELF executable with the same behaviour. */
export function wrapInElf(file: string): void {
  const js = readFileSync(file);
  writeFileSync(file, Buffer.concat([launcherBinary(), Buffer.from(MARKER), js]));
  chmodSync(file, 0o755);
}
