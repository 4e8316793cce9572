// The review step's text: the profile as its YAML file would look. A valid draft is shown exactly as
// `kubeup profiles export` writes it (defaults filled in: what kubeup will use); an invalid one as typed, so the
// problems listed under it can be found in it.
import { stringify } from 'yaml';
import { profileToYaml } from '../../src/profile/yaml.js';
import { validateProfile } from '../../src/profile/validate.js';
import { draftToInput, type WizardDraft } from './draft.js';

/** Shown for the name until the save step, where it is chosen. */
export const NAME_CHOSEN_LATER = '(chosen on the next step)';
/** Any valid name: the draft is checked here for everything but its name, which the save step checks. */
const STAND_IN_NAME = 'wizard-draft';

export function profileYaml(draft: WizardDraft): string {
  const input = draftToInput(draft);
  const name = input.name || NAME_CHOSEN_LATER;
  const valid = validateProfile({ ...input, name: STAND_IN_NAME }).profile;
  return valid ? profileToYaml({ ...valid, name }) : stringify({ ...input, name }, { lineWidth: 0 });
}
