/** Method names that are lifecycle, not hooks. */
const LIFECYCLE = new Set(['constructor', 'setup', 'teardown', 'health']);

/** `listTools` -> `list_tools`: hook names are snake_case, JavaScript methods often camelCase. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Hook name -> method name for the callable members of a plugin object (its
 * prototype chain included), as the in-process runtime resolves them: a
 * camelCase method also answers to its snake_case hook name; an exact match
 * wins.
 * @since 0.1.0
 */
export function hookMethods(instance: object): Map<string, string> {
  const names = new Set<string>();
  for (
    let proto: object | null = instance;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (LIFECYCLE.has(key) || key.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor !== undefined && typeof descriptor.value === 'function') names.add(key);
    }
  }
  const map = new Map<string, string>();
  for (const name of names) map.set(name, name);
  for (const name of names) {
    const alias = snakeCase(name);
    if (!map.has(alias)) map.set(alias, name);
  }
  return map;
}
