// The fields of each form, and the messages shown at them. Every message comes from the profile's own validator
// (validateProfile), so the wizard and a YAML profile can never disagree about what is valid.
import { validateProfile } from '../../src/profile/validate.js';
import type { ProfileIssue } from '../../src/errors.js';
import { COMPONENTS, type Profile, type Role } from '../../src/profile/types.js';
import { schemaFields } from '../../src/profile/fields.js';
import { draftToInput, type HostDraft, type WizardDraft } from './draft.js';

export type FormId = 'host' | 'ssh' | 'versions' | 'network' | 'name';
export type FieldKind = 'text' | 'toggle' | 'roles' | 'choice';

export interface FieldDef {
  /** Key inside the form's object (HostDraft, SshDraft, ...). */
  key: string;
  label: string;
  kind: FieldKind;
  placeholder?: string;
  /** A choice's values, from the schema's enum. */
  options?: readonly string[];
}

export type FieldValue = string | boolean | Role[];

const VERSION_LABELS: Record<(typeof COMPONENTS)[number], string> = {
  kubernetes: 'Kubernetes',
  etcd: 'etcd',
  flannel: 'flannel',
  flannelCniPlugin: 'flannel CNI plugin',
  containerd: 'containerd',
  runc: 'runc',
  cniPlugins: 'CNI plugins',
};

export const FORM_FIELDS: Record<FormId, readonly FieldDef[]> = {
  host: [
    { key: 'address', label: 'Address', kind: 'text', placeholder: 'IP address or host name' },
    { key: 'user', label: 'SSH user', kind: 'text' },
    { key: 'port', label: 'SSH port', kind: 'text' },
    { key: 'roles', label: 'Roles', kind: 'roles' },
    { key: 'nodeName', label: 'Node name', kind: 'text', placeholder: 'optional: the host name it reports' },
    { key: 'identityFile', label: 'Identity file', kind: 'text', placeholder: 'optional: else the one of the SSH step' },
  ],
  ssh: [
    { key: 'agent', label: 'Use SSH agent', kind: 'toggle' },
    { key: 'identityFile', label: 'Identity file', kind: 'text', placeholder: 'optional, e.g. ~/.ssh/id_ed25519' },
    { key: 'password', label: 'Ask SSH password at run time', kind: 'toggle' },
    { key: 'sudoPassword', label: 'Ask sudo password at run time', kind: 'toggle' },
    { key: 'jumpHost', label: 'Jump host', kind: 'text', placeholder: 'optional: user@host:port' },
    { key: 'knownHosts', label: 'known_hosts file', kind: 'text' },
  ],
  versions: COMPONENTS.map((c) => ({ key: c, label: VERSION_LABELS[c], kind: 'text' as const })),
  network: [
    { key: 'serviceCidr', label: 'Service CIDR', kind: 'text' },
    { key: 'podCidr', label: 'Pod CIDR', kind: 'text' },
    { key: 'clusterDns', label: 'Cluster DNS IP', kind: 'text' },
    { key: 'dnsDomain', label: 'DNS domain', kind: 'text' },
    { key: 'nodePortRange', label: 'Node port range', kind: 'text' },
    { key: 'apiServerPort', label: 'API server port', kind: 'text' },
    { key: 'flannelBackend', label: 'Flannel backend', kind: 'choice', options: schemaOptions('network.flannelBackend') },
  ],
  name: [{ key: 'name', label: 'Profile name', kind: 'text', placeholder: 'e.g. lab-cluster' }],
};

function schemaOptions(path: string): readonly string[] {
  const field = schemaFields().find((f) => f.path === path);
  if (!field?.options) throw new Error(`the profile schema has no choice at ${path}`);
  return field.options;
}

/** Where each form's fields sit in the profile. */
const FORM_PATH: Record<FormId, (key: string) => string> = {
  host: (k) => `hosts[].${k}`,
  ssh: (k) => `ssh.${k}`,
  versions: (k) => `versions.${k}`,
  network: (k) => `network.${k}`,
  name: (k) => k,
};

/**
 * Profile fields the wizard does not ask for, and where they are set instead (the review step lists them). A path
 * ending in `.*` covers everything below it. Together with FORM_FIELDS this must cover every field of the schema:
 * test/ui/wizard-fields.test.ts fails for a field that is in neither, so a new schema field is asked or listed here.
 */
export const SET_ELSEWHERE: Readonly<Record<string, string>> = {
  'hosts[].hostKey': 'pinned by `kubeup up --accept-new-host-keys` (or written in the profile file)',
  'hosts[].container': 'the profile file (hosts[].container: true), when preflight reports a host runs in a container',
  'ssh.jumpHostKey': 'the profile file (ssh.jumpHostKey: SHA256:...)',
  'ssh.configFile': 'the profile file (ssh.configFile: PATH, or none; default ~/.ssh/config)',
  'extraArgs.*': 'the profile file (extraArgs.<daemon>: [--flag=value])',
  'addons.*': 'the profile file (addons.dns; CoreDNS is on by default)',
  'audit.*': 'the profile file (audit.enabled, audit.logPath: the API server\'s audit log)',
  'download.*': 'the profile file (download.mirrors, download.checksums, download.cacheDir, download.proxy, download.transfer, download.from)',
};

/** Every schema path with where the wizard takes it: a form field, or a place elsewhere; `missing` if neither. */
export function wizardCoverage(fields: readonly { path: string }[] = schemaFields()): { path: string; asked?: FormId; elsewhere?: string }[] {
  const asked = new Map<string, FormId>();
  for (const form of Object.keys(FORM_FIELDS) as FormId[]) for (const f of FORM_FIELDS[form]) asked.set(FORM_PATH[form](f.key), form);
  return fields.map(({ path }) => {
    const form = asked.get(path);
    if (form) return { path, asked: form };
    const rule = Object.keys(SET_ELSEWHERE).find((p) => p === path || (p.endsWith('.*') && path.startsWith(p.slice(0, -1))));
    return rule ? { path, elsewhere: SET_ELSEWHERE[rule] } : { path };
  });
}

/** Where a host's position is written as `hosts[i]` (0-based), the screen numbers it i + 1: messages say `host i+1`. */
export function screenIssue(issue: ProfileIssue): ProfileIssue {
  const renumber = (t: string) => t.replace(/\bhosts\[(\d+)\]/g, (_, i: string) => `host ${Number(i) + 1}`);
  return { ...issue, path: renumber(issue.path), message: renumber(issue.message), ...(issue.hint !== undefined && { hint: renumber(issue.hint) }) };
}

/** Where the host editor's host sits in the profile: its index, or after the others for a new one. */
export type HostSlot = number | 'new';

export interface HostEditor {
  slot: HostSlot;
  host: HostDraft;
}

/** Stand-in name while none is chosen: issues about the name belong to the save step only. */
const DRAFT_NAME = 'wizard-draft';

export interface FormErrors {
  /** Messages at fields, by field key. */
  fields: Record<string, string>;
  /** Messages about the form as a whole (e.g. "no host has the master role"), with their field paths. */
  form: ProfileIssue[];
}

const PORT_PROBLEM = 'must be a whole number between 1 and 65535';

function portProblem(s: string): string | undefined {
  const t = s.trim();
  if (!/^\d{1,5}$/.test(t)) return PORT_PROBLEM;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? undefined : PORT_PROBLEM;
}

/** The draft with the host editor's host in its place, as the profile would be if it were saved now. */
export function draftWithHost(draft: WizardDraft, editor: HostEditor): { draft: WizardDraft; index: number } {
  const hosts = [...draft.hosts];
  const index = editor.slot === 'new' ? hosts.length : editor.slot;
  hosts[index] = editor.host;
  return { draft: { ...draft, hosts }, index };
}

export function profileIssues(draft: WizardDraft, withName = false): ProfileIssue[] {
  const name = withName ? draft.name : DRAFT_NAME;
  const issues = validateProfile(draftToInput({ ...draft, name })).issues;
  return withName ? issues : issues.filter((i) => i.path !== 'name');
}

function message(raw: ProfileIssue): string {
  const issue = screenIssue(raw);
  return issue.hint ? `${issue.message} (${issue.hint})` : issue.message;
}

/** Sorts issues onto the form's fields: `prefix.key` goes to field `key`, `prefix` itself to the form. */
function assign(issues: ProfileIssue[], prefix: string, keys: readonly string[], local: Record<string, string | undefined>): FormErrors {
  const fields: Record<string, string> = {};
  const form: ProfileIssue[] = [];
  for (const [k, v] of Object.entries(local)) if (v) fields[k] = v;
  for (const issue of issues) {
    const key = issue.path.startsWith(`${prefix}.`) ? issue.path.slice(prefix.length + 1) : undefined;
    if (key !== undefined && keys.includes(key)) {
      fields[key] ??= message(issue);
    } else if (issue.path === prefix) {
      form.push(screenIssue(issue));
    }
  }
  return { fields, form };
}

const keysOf = (form: FormId) => FORM_FIELDS[form].map((f) => f.key);

export function hostFormErrors(draft: WizardDraft, editor: HostEditor): FormErrors {
  const { draft: full, index } = draftWithHost(draft, editor);
  const local = { port: portProblem(editor.host.port), roles: editor.host.roles.length ? undefined : 'choose at least one role' };
  return assign(profileIssues(full), `hosts[${index}]`, keysOf('host'), local);
}

export function hostsListErrors(draft: WizardDraft): ProfileIssue[] {
  return profileIssues(draft).filter((i) => i.path === 'hosts' || i.path.startsWith('hosts[')).map(screenIssue);
}

/** A host editor's address typed kube-up's way, `user@address`: the user goes to its own field. */
export function splitUserAtAddress(value: string): { user: string; address: string } | undefined {
  const m = /^([^@\s]+)@([^@\s]*)$/.exec(value.trim());
  return m ? { user: m[1]!, address: m[2]! } : undefined;
}

export function formErrors(draft: WizardDraft, form: Exclude<FormId, 'host'>): FormErrors {
  switch (form) {
    case 'ssh':
      return assign(profileIssues(draft), 'ssh', keysOf('ssh'), {});
    case 'versions':
      return assign(profileIssues(draft), 'versions', keysOf('versions'), {});
    case 'network':
      return assign(profileIssues(draft), 'network', keysOf('network'), { apiServerPort: portProblem(draft.network.apiServerPort) });
    case 'name': {
      const issue = profileIssues(draft, true).find((i) => i.path === 'name');
      const problem = draft.name.trim() === '' ? 'is empty (give the profile a name)' : issue && message(issue);
      return { fields: problem ? { name: problem } : {}, form: [] };
    }
  }
}

export const hasErrors = (e: FormErrors) => Object.keys(e.fields).length > 0 || e.form.length > 0;

/** The review step's short note on what the wizard does not ask (SET_ELSEWHERE says where each one goes). */
export const ELSEWHERE_NOTES: readonly string[] = Object.keys(SET_ELSEWHERE).map((path) => path.replace(/\.\*$/, ''));

/** The draft as a valid profile (under a stand-in name until one is chosen), or undefined while it has issues. */
export function draftProfile(draft: WizardDraft): Profile | undefined {
  return validateProfile(draftToInput({ ...draft, name: draft.name.trim() || DRAFT_NAME })).profile;
}
