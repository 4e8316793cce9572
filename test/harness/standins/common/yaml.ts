/** Strict YAML reading for kubeconfig and component config files (the `yaml` package is bundled into stand-ins). */
import { parseDocument } from 'yaml';

/** Parses one YAML document; duplicate keys and syntax errors fail with the line, like sigs.k8s.io/yaml. */
export function parseYamlStrict(text: string, path: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: true, version: '1.2' });
  const first = doc.errors[0];
  if (first) {
    const line = first.linePos?.[0]?.line;
    throw new Error(`error converting YAML to JSON: yaml: ${line !== undefined ? `line ${line}: ` : ''}${first.message.split('\n')[0]} (file ${path})`);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}
