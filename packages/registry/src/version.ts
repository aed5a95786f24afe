/**
 * The version of this core, checked against each manifest's `core_version`.
 * Kept equal to package.json's version (a test checks it).
 * @since 0.1.0
 */
export const CORE_VERSION: string = '0.1.0';
