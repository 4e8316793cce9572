// Short human descriptions of a profile, shared by the CLI's listings.
import type { HostSpec, Profile } from './types.js';

/** kube-up's letters: a (master), i (worker), ai (both). */
export function roleLetters(h: Pick<HostSpec, 'roles'>): string {
  return (h.roles.includes('master') ? 'a' : '') + (h.roles.includes('worker') ? 'i' : '');
}

export function formatHostRoles(p: Profile): string {
  return p.hosts.map((h) => `${h.user}@${h.address}${h.port === 22 ? '' : `:${h.port}`}(${roleLetters(h)})`).join(' ');
}
