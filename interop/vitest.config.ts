import { defineProject } from 'vitest/config';
import { dagstackVitest } from '../scripts/vitest-shared.ts';

export default defineProject(dagstackVitest(import.meta.url));
