import { describe, expect, it } from 'vitest';
import { TeardownStack } from '../../../src/app/teardown-stack.js';

describe('TeardownStack', () => {
  it('runs steps last-pushed first, once, and a failing step does not stop the others', async () => {
    const ran: string[] = [];
    const errors: string[] = [];
    const stack = new TeardownStack({ error: (data) => errors.push((data as { step: string }).step) });
    stack.push('lock', () => ran.push('lock'));
    stack.push('store', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      ran.push('store');
    });
    stack.push('broker', () => {
      throw new Error('will not close');
    });
    stack.push('server', () => ran.push('server'));
    await Promise.all([stack.run(), stack.run()]);
    await stack.run();
    expect(ran).toEqual(['server', 'store', 'lock']);
    expect(errors).toEqual(['broker']);
  });
});
