// Every field of the profile schema as a path (`network.podCidr`, `hosts[].roles`), found by walking the zod
// schema itself: the one list that the wizard's coverage (components/wizard/fields.ts) is checked against, so that a
// field added to the schema cannot be missing from the wizard without a test failing.
import { z } from 'zod';
import { profileInputSchema } from './schema.js';

export type SchemaFieldKind = 'boolean' | 'choice' | 'text' | 'list' | 'map';

export interface SchemaField {
  path: string;
  kind: SchemaFieldKind;
  /** The allowed values of a choice. */
  options?: readonly string[];
}

function unwrap(s: z.ZodTypeAny): z.ZodTypeAny {
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s._def.innerType;
    else if (s instanceof z.ZodEffects) s = s._def.schema;
    else return s;
  }
}

function walk(s: z.ZodTypeAny, path: string, out: SchemaField[]): void {
  const t = unwrap(s);
  if (t instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(t.shape as Record<string, z.ZodTypeAny>)) walk(child, path ? `${path}.${key}` : key, out);
  } else if (t instanceof z.ZodArray && unwrap(t.element) instanceof z.ZodObject) {
    walk(t.element, `${path}[]`, out);
  } else if (t instanceof z.ZodBoolean) out.push({ path, kind: 'boolean' });
  else if (t instanceof z.ZodEnum) out.push({ path, kind: 'choice', options: t.options as string[] });
  else if (t instanceof z.ZodArray) out.push({ path, kind: 'list' });
  else if (t instanceof z.ZodRecord) out.push({ path, kind: 'map' });
  else out.push({ path, kind: 'text' });
}

/** The leaves of the profile schema, in schema order. */
export function schemaFields(schema: z.ZodTypeAny = profileInputSchema): SchemaField[] {
  const out: SchemaField[] = [];
  walk(schema, '', out);
  return out;
}
