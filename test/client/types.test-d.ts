import { expectTypeOf, test } from 'vitest';
import { createClient } from '../../src/client/index.js';
import type { fixtures } from '../server/fixtures.js';

test('the client is typed from the workflow registry', async () => {
  const client = createClient<typeof fixtures>({ baseUrl: 'http://127.0.0.1:4700' });
  // @ts-expect-error unknown workflow key
  client.getWorkflow('nope');
  const run = await client.getWorkflow('add').createRun();
  expectTypeOf(run.start).parameter(0).toEqualTypeOf<import('../../src/define/run-types.js').StartOptions<{ n: number }, any> | undefined>();
  const result = await run.start({ inputData: { n: 1 } });
  if (result.status === 'success') expectTypeOf(result.result).toEqualTypeOf<{ n: number }>();
  // @ts-expect-error wrong input type
  await run.start({ inputData: { n: 'one' } });
});
