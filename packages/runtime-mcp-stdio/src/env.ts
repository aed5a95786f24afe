/**
 * Variables a child inherits from the host by default: enough to find
 * programs, a home, a locale, a time zone and a temp folder. Nothing that
 * usually holds a secret.
 * @since 0.1.0
 */
export const INHERITED_ENV_VARS: readonly string[] = Object.freeze(
  process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PATHEXT',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'TMP',
        'USERNAME',
        'USERPROFILE',
        'PROGRAMFILES',
        'COMSPEC',
      ]
    : [
        'PATH',
        'HOME',
        'USER',
        'LOGNAME',
        'SHELL',
        'LANG',
        'LC_ALL',
        'LC_CTYPE',
        'TZ',
        'TMPDIR',
        'TERM',
      ],
);

/**
 * The environment of a plugin child: the {@link INHERITED_ENV_VARS} the host
 * has (plus `extraInherited`), then the manifest's `env`, then the dagstack
 * variables. Host variables not listed never reach the child.
 * @since 0.1.0
 */
export function childEnvironment(parts: {
  manifestEnv: Readonly<Record<string, string>>;
  plugin: string;
  kind: string;
  extraInherited?: readonly string[];
  hostEnv?: Readonly<Record<string, string | undefined>>;
}): Record<string, string> {
  const host = parts.hostEnv ?? process.env;
  const env: Record<string, string> = {};
  for (const key of [...INHERITED_ENV_VARS, ...(parts.extraInherited ?? [])]) {
    const value = host[key];
    // Exported shell functions are code, not settings.
    if (value !== undefined && !value.startsWith('()')) env[key] = value;
  }
  Object.assign(env, parts.manifestEnv);
  env.DAGSTACK_PLUGIN_NAME = parts.plugin;
  env.DAGSTACK_PLUGIN_KIND = parts.kind;
  return env;
}
