// The one error the deployment generators throw: an option or a setting that cannot make a working
// deployment. It names the option (its property name, which the CLI maps to its flag) or the
// setting (its environment variable), the value, and what is expected, like the settings loader.

export class DeployOptionError extends RangeError {
  readonly code = 'SIOROUTE_DEPLOY_OPTION_INVALID';

  constructor(
    /** `option` for a generator option, `setting` for a sioroute setting. */
    readonly kind: 'option' | 'setting',
    /** The option's property name (`publicHost`) or the setting's variable (`WORKER_BASE_PORT`). */
    readonly option: string,
    /** The value as shown; never a secret's value. */
    readonly value: string,
    readonly expected: string,
  ) {
    super(`invalid ${kind} ${option}=${JSON.stringify(value)}: ${expected}`);
    this.name = 'DeployOptionError';
  }
}
