import { KubeupError, type KubeupErrorOptions } from '../../../src/errors.js';

/** The test hosts could not be built, started, reached or cleaned up. */
export class TestHostsError extends KubeupError {
  constructor(message: string, opts: KubeupErrorOptions = {}) {
    super(message, opts);
  }
}
