// The profile as written (YAML file, wizard, store): the shape only. Rules between fields are in rules.ts.
import { z } from 'zod';
import { COMPONENTS, DAEMONS, type Role } from './types.js';

/** kube-up's role letters, and the names kubeup stores. */
export function parseRoles(input: unknown): Role[] | undefined {
  const one = (s: string): Role[] | undefined => {
    switch (s.trim().toLowerCase()) {
      case 'a':
      case 'master':
      case 'control-plane':
        return ['master'];
      case 'i':
      case 'worker':
      case 'node':
        return ['worker'];
      case 'ai':
      case 'ia':
        return ['master', 'worker'];
      default:
        return undefined;
    }
  };
  const parts = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined;
  if (!parts || parts.length === 0) return undefined;
  const out = new Set<Role>();
  for (const p of parts) {
    if (typeof p !== 'string') return undefined;
    const r = one(p);
    if (!r) return undefined;
    r.forEach((x) => out.add(x));
  }
  // Stored order is fixed so that two equal profiles serialize the same.
  return (['master', 'worker'] as const).filter((r) => out.has(r));
}

const rolesField = z.unknown().transform((v, ctx) => {
  const roles = parseRoles(v);
  if (!roles) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `roles ${JSON.stringify(v)} are not valid`,
      params: { hint: 'use [master], [worker] or [master, worker] (kube-up letters a, i, ai also work)' },
    });
    return z.NEVER;
  }
  return roles;
});

const port = z
  .number({ invalid_type_error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const version = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim().replace(/^v/, ''));

export const hostInputSchema = z
  .object({
    address: z.string({ required_error: 'is required' }).trim(),
    user: z.string().trim().min(1, 'must not be empty').optional(),
    port: port.optional(),
    roles: rolesField,
    identityFile: z.string().min(1).optional(),
    nodeName: z.string().min(1).optional(),
    hostKey: z.string().min(1).optional(),
    container: z.boolean({ invalid_type_error: 'must be true or false' }).optional(),
  })
  .strict();

export const profileInputSchema = z
  .object({
    name: z.string({ required_error: 'is required' }),
    hosts: z.array(hostInputSchema, { required_error: 'is required' }),
    ssh: z
      .object({
        agent: z.boolean().optional(),
        identityFile: z.string().min(1).optional(),
        password: z.boolean().optional(),
        sudoPassword: z.boolean().optional(),
        jumpHost: z.string().min(1).optional(),
        jumpHostKey: z.string().min(1).optional(),
        knownHosts: z.string().min(1).optional(),
        configFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    versions: z
      .object(Object.fromEntries(COMPONENTS.map((c) => [c, version.optional()])) as Record<
        (typeof COMPONENTS)[number],
        z.ZodOptional<typeof version>
      >)
      .strict()
      .optional(),
    network: z
      .object({
        serviceCidr: z.string().optional(),
        podCidr: z.string().optional(),
        clusterDns: z.string().optional(),
        dnsDomain: z.string().optional(),
        nodePortRange: z.union([z.string(), z.number()]).transform(String).optional(),
        flannelBackend: z.enum(['vxlan', 'host-gw']).optional(),
        apiServerPort: port.optional(),
      })
      .strict()
      .optional(),
    extraArgs: z
      .object(Object.fromEntries(DAEMONS.map((d) => [d, z.array(z.string()).optional()])))
      .strict()
      .optional(),
    addons: z
      .object({
        dns: z
          .object({
            enabled: z.boolean().optional(),
            replicas: z.number({ invalid_type_error: 'must be a number' }).int('must be a whole number').optional(),
            imageRepository: z.string().trim().optional(),
            upstreamResolvers: z.array(z.string().trim()).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    audit: z
      .object({
        enabled: z.boolean().optional(),
        logPath: z.string().trim().min(1, 'must not be empty').optional(),
      })
      .strict()
      .optional(),
    download: z
      .object({
        mirrors: z
          .object(Object.fromEntries(COMPONENTS.map((c) => [c, z.string().url('must be a URL').optional()])))
          .strict()
          .optional(),
        cacheDir: z.string().min(1).optional(),
        proxy: z.string().url('must be a URL such as http://proxy:3128').optional(),
        checksums: z.record(z.string(), z.string()).optional(),
        /** How binaries travel to the hosts from this machine: compressed once in the cache, or as they are. */
        transfer: z.enum(['compressed', 'plain']).optional(),
        /**
         * Who sends the releases to the hosts: this machine over SSH, or every host downloads them from the mirrors
         * itself (curl or wget, through download.proxy), checked on the host against the same sha256.
         */
        from: z.enum(['operator', 'hosts']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ProfileInput = z.input<typeof profileInputSchema>;
export type ParsedProfileInput = z.output<typeof profileInputSchema>;
