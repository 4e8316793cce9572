// Decoded JSON/YAML objects, as the stand-ins' strict config decoders walk them.
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
