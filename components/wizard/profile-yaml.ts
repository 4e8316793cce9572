// The review step's text: the profile as its YAML file would look. A valid draft shows the profile with its
// defaults filled in (what kubeup will use); an invalid one shows what was typed, so the problems can be found in it.
import { Document, isMap, isSeq, visit } from 'yaml';
import { validateProfile } from '../../src/profile/validate.js';
import { draftToInput, type WizardDraft } from './draft.js';

export function profileYaml(draft: WizardDraft): string {
  const input = draftToInput(draft);
  const valid = validateProfile(input).profile;
  const data: Record<string, unknown> = { ...(valid ?? input) };
  // The name is chosen on the next step.
  if (!draft.name.trim()) delete data.name;
  const doc = new Document(data);
  // Short lists on one line (`roles: [master, worker]`), so a host takes a few lines and the review fits a terminal.
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => !isMap(i) && !isSeq(i))) node.flow = true;
    },
    Map(_, node) {
      if (node.items.length === 0) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
