// Errors of the cluster PKI and of kubeconfig files. Each names the file and says what to do.
import { EXIT, KubeupError } from '../errors.js';

/** The CA, a certificate or a key in the profile's state folder cannot be used as it is. */
export class PkiError extends KubeupError {
  override readonly exitCode = EXIT.deploy;
}

/** A kubeconfig file that kubeup cannot read or merge into. */
export class KubeconfigError extends KubeupError {
  override readonly exitCode = EXIT.deploy;
}
