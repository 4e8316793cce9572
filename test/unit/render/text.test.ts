import { describe, expect, it } from 'vitest';
import { InternalError } from '../../../src/errors.js';
import { header, optionsVariable, renderOptions, stableJson, stableYaml } from '../../../src/render/text.js';
import { optionsWords } from './helpers.js';

describe('renderOptions', () => {
  it('writes one sorted flag per line inside one quoted variable, behind the header', () => {
    expect(renderOptions('demo', 'X_OPTS', { zeta: 1, alpha: true, 'mid-name': '/a/b,c=d' })).toBe(
      '# managed by kubeup — profile demo\nX_OPTS="--alpha=true \\\n--mid-name=/a/b,c=d \\\n--zeta=1"\n',
    );
    expect(optionsWords(renderOptions('demo', 'X_OPTS', { one: 'x' }))).toEqual({ variable: 'X_OPTS', words: ['--one=x'] });
  });

  it('refuses a value that systemd would split or expand, naming the flag', () => {
    for (const value of ['two words', 'a"b', "it's", 'a\\b', '$HOME', '`id`', 'tab\there']) {
      let caught: unknown;
      try {
        renderOptions('demo', 'X_OPTS', { bad: value });
      } catch (e) {
        caught = e;
      }
      expect(caught, value).toBeInstanceOf(InternalError);
      expect((caught as InternalError).field).toBe('bad');
    }
  });

  it('derives the variable name from the daemon', () => {
    expect(optionsVariable('kube-controller-manager')).toBe('KUBE_CONTROLLER_MANAGER_OPTS');
  });
});

describe('stable JSON and YAML', () => {
  it('sorts keys at every level, keeps array order, ends with a newline', () => {
    const value = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } };
    expect(stableJson(value)).toBe('{\n  "a": {\n    "c": null,\n    "d": [\n      3,\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
    expect(stableYaml('demo', value)).toBe(`${header('demo')}\na:\n  c: null\n  d:\n    - 3\n    - y: 2\n      z: 1\nb: 1\n`);
  });
});
