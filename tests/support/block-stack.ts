import { afterAll, beforeAll } from 'vitest';
import { startStack, type Stack, type StackOptions } from '@paredao/testkit/stack';

/**
 * For a describe block that needs a stack and nothing else set up: starts it before the block's
 * tests, stops it after them. The function returned gives the tests the running stack.
 */
export function blockStack(opts?: StackOptions): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(opts);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the stack is not running (read it inside a test)');
    return stack;
  };
}
