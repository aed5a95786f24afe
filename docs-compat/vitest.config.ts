import { dagstackVitest } from '@dagstack/vitest-config';
import { defineProject } from 'vitest/config';

export default defineProject(dagstackVitest(import.meta.url));
