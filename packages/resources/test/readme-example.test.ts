// The README example, run as written (plus assertions).
import { expect, it } from 'vitest';
import {
  createResourceContainer,
  createTestResources,
  decorate,
  isUndeclaredResource,
} from '../src/index.js';

it('the README example works', async () => {
  const { resources, close } = createTestResources({
    seed: 'test-42',
    now: new Date('2026-01-01'),
  });
  let saves = 0;
  const checkpoint = decorate(resources.checkpoint, (method, args, next) => {
    if (method === 'save') saves += 1;
    return next(args);
  });
  const ctxResources = createResourceContainer(
    { ...resources, checkpoint },
    { declared: { required: ['clock', 'checkpoint'], optional: ['rng'] }, plugin: 'indexer' },
  );
  expect(() => ctxResources.get('blob_store')).toSatisfy((fn: () => unknown) => {
    try {
      fn();
      return false;
    } catch (error) {
      return isUndeclaredResource(error);
    }
  });
  const woke = resources.clock.sleep(1_000);
  resources.clock.advance(1_000);
  await woke;
  await ctxResources.get('checkpoint')?.save('k', 1);
  expect(saves).toBe(1);
  expect((await resources.checkpoint.load('k'))?.state).toBe(1);
  await close();
});
