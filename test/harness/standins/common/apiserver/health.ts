/** /healthz, /livez, /readyz as the generic API server renders them (`[+]name ok` lines, `?verbose`, `?exclude=`). */

export type Check = { readonly name: string; readonly run: () => Promise<string | null> };

export async function renderHealth(kind: 'healthz' | 'livez' | 'readyz', checks: readonly Check[], url: URL, single?: string): Promise<{ code: number; body: string }> {
  if (single !== undefined) {
    const check = checks.find((c) => c.name === single);
    if (!check) return { code: 404, body: '404 page not found\n' };
    const err = await check.run();
    return err === null ? { code: 200, body: 'ok' } : { code: 500, body: `internal server error: ${err}\n` };
  }
  const excluded = new Set(url.searchParams.getAll('exclude'));
  const results: { name: string; err: string | null }[] = [];
  for (const c of checks) {
    if (excluded.has(c.name)) continue;
    results.push({ name: c.name, err: await c.run() });
  }
  const failed = results.some((r) => r.err !== null);
  if (!failed && !url.searchParams.has('verbose')) return { code: 200, body: 'ok' };
  const lines = results.map((r) => (r.err === null ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  for (const name of [...excluded].sort()) {
    lines.push(checks.some((c) => c.name === name) ? `[+]${name} excluded: ok` : `warn: some health checks cannot be excluded: no matches for "${name}"`);
  }
  lines.push(`${kind} check ${failed ? 'failed' : 'passed'}`);
  return { code: failed ? 500 : 200, body: `${lines.join('\n')}\n` };
}
