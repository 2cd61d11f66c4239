// Settings written back as the environment variables that carry them, for the generated units and
// manifests: the value in the form the settings table parses, and which settings differ from their
// defaults. Secrets are never written: generators reference them (EnvironmentFile=, a Secret).
import { SETTINGS, type Config } from '../config/settings.js';

export type SettingEnv = (typeof SETTINGS)[number]['env'];

/**
 * A setting's value as its variable would carry it (lists comma-separated); undefined when unset.
 * An empty list is `none`: an empty variable reads as unset, which is the default (METRICS_FROM's
 * is not empty). Only lists whose default is empty (never written then) lack a `none`.
 */
export function envText(value: Config[keyof Config]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object') return value.length === 0 ? 'none' : value.join(',');
  return String(value);
}

/** The value of one setting as its variable would carry it. */
export function settingText(config: Config, env: SettingEnv): string | undefined {
  const spec = SETTINGS.find((s) => s.env === env)!;
  return envText(config[spec.key]);
}

/**
 * Among `names`, the settings whose value differs from the default, as [variable, value] pairs in
 * the settings table's order. Secret settings are left out whatever their value.
 */
export function changedSettings(config: Config, names: readonly SettingEnv[]): [SettingEnv, string][] {
  const changed: [SettingEnv, string][] = [];
  for (const spec of SETTINGS) {
    if (!names.includes(spec.env) || ('secret' in spec && spec.secret)) continue;
    const value = envText(config[spec.key]);
    if (value !== undefined && value !== envText(spec.defaultValue())) changed.push([spec.env, value]);
  }
  return changed;
}
