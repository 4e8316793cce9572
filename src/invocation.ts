// How the user runs kubeup, for the commands that messages suggest: after the README's `npm ci && npm start` there is
// no `kubeup` command (that needs `npm link`), and `npm start -- up --profile lab` is what works.

/** The words that start a kubeup command line for this user: `kubeup`, or `npm start --` under `npm start`. */
export function kubeupCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_lifecycle_event === 'start' && env.npm_package_name === 'kubeup' ? 'npm start --' : 'kubeup';
}
