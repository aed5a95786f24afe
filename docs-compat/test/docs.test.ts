import { describe, it } from 'vitest';
describe('placeholder', () => { it.todo('docs compat'); });
