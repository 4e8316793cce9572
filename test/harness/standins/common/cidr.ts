/** IPv4 CIDR arithmetic for pod and service ranges. */
import { parseCIDR } from './go-parse.js';

export interface Cidr4 {
  readonly base: number;
  readonly bits: number;
  readonly text: string;
}

export function ip4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses an IPv4 CIDR and normalises it to its network address; throws Go's `invalid CIDR address: x`. */
export function parseCidr4(text: string): Cidr4 {
  const c = parseCIDR(text);
  if (c.family !== 4) throw new Error(`${text}: only IPv4 ranges are supported by the stand-in`);
  const size = 2 ** (32 - c.bits);
  const base = Math.floor(ip4ToInt(c.ip) / size) * size;
  return { base, bits: c.bits, text: `${intToIp4(base)}/${c.bits}` };
}

export function overlaps(a: Cidr4, b: Cidr4): boolean {
  const aEnd = a.base + 2 ** (32 - a.bits);
  const bEnd = b.base + 2 ** (32 - b.bits);
  return a.base < bEnd && b.base < aEnd;
}

/** The i-th subnet of size /maskBits inside `range`. */
export function subnet(range: Cidr4, maskBits: number, i: number): Cidr4 {
  const base = range.base + i * 2 ** (32 - maskBits);
  return { base, bits: maskBits, text: `${intToIp4(base)}/${maskBits}` };
}
