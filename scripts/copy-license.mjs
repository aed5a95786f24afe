#!/usr/bin/env node
// `prepack` of every public package: put the repository's LICENSE next to the
// package's package.json, so the tarball carries the licence it declares
// (npm and pnpm always pack a LICENSE file found there). The copies are not
// committed (.gitignore).
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
copyFileSync(join(root, 'LICENSE'), join(process.cwd(), 'LICENSE'));
