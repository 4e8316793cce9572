import type { Profile } from '../../src/profile/types.js';

export type WizardResult = { profile: Profile; deployNow: boolean } | { cancelled: true };
