import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createStep, createWorkflow, postgresStore, Weft } from '../../src/index.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { NewRun, Store } from '../../src/store/types.js';
import { withTestSeams } from '../../src/testing/index.js';
import { PG_URL, schemaFactory, waitUntil } from './pg-helpers.js';

/**
 * Leases on PostgreSQL follow the database's clock: a worker whose clock is a minute off neither takes
 * over a live lease nor keeps a dead one alive, and the offset is measured and reported.
 */
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
const schemas = schemaFactory('clk');
afterAll(async () => {
  await schemas.dropAll(admin);
  await admin.end();
});

const MINUTE = 60_000;
const LEASE = 30_000;

function running(runId: string, owner: string, now: number, leaseMs = LEASE): NewRun {
  return {
    runId, workflowId: 'wf', status: 'running', resourceId: null, input: '{}', state: null, requestContext: null, tracing: null,
    priority: 0, concurrencyKey: null, owner, leaseExpiresAt: now + leaseMs, now,
  };
}

async function openStore(schema: string, extra: Partial<ConstructorParameters<typeof PostgresStore>[0]> = {}): Promise<PostgresStore> {
  const store = new PostgresStore({ connectionString: PG_URL, schema, onError: () => {}, ...extra });
  await store.open();
  return store;
}

const claimOpts = (owner: string, now: number) => ({ owner, leaseMs: LEASE, now, limit: 10, workflowIds: ['wf'] });

describe('postgres: leases follow the database clock', () => {
  it('a worker 60 s ahead does not take over a live lease (claimRuns, claimRun, listOwners)', async () => {
    const store = await openStore(schemas.next());
    try {
      await store.createRun(running('held', 'on-time', Date.now()));
      const ahead = Date.now() + MINUTE;
      expect(await store.claimRuns(claimOpts('ahead', ahead))).toEqual([]);
      expect(await store.claimRun('held', { owner: 'ahead', leaseMs: LEASE, now: ahead })).toBeNull();
      expect(await store.listOwners(ahead)).toEqual(['on-time']);
    } finally {
      await store.close();
    }
  });

  it('leases granted by a worker 60 s behind are live for the others', async () => {
    const store = await openStore(schemas.next());
    try {
      const behind = () => Date.now() - MINUTE;
      await store.createRun(running('created', 'behind', behind()));
      await store.createRuns([running('batch', 'behind', behind())]);
      await store.createRun({ ...running('claimed', 'nobody', behind()), status: 'pending', owner: null, leaseExpiresAt: null });
      expect((await store.claimRuns(claimOpts('behind', behind()))).map((c) => c.run.runId)).toEqual(['claimed']);
      expect((await store.renewLeases('behind', ['created', 'batch', 'claimed'], LEASE, behind())).lost).toEqual([]);
      // A worker on time sees all three leases alive.
      expect(await store.claimRuns(claimOpts('on-time', Date.now()))).toEqual([]);
      expect(await store.listOwners(Date.now())).toEqual(['behind']);
    } finally {
      await store.close();
    }
  });

  it('a dead lease of a worker 60 s ahead expires by the database clock, not 60 s later', async () => {
    const schema = schemas.next();
    const store = await openStore(schema);
    try {
      const ahead = Date.now() + MINUTE;
      await store.createRun(running('short', 'ahead', ahead, 300));
      await waitUntil(async () => {
        const { rows } = await admin.query(
          `SELECT 1 FROM "${schema}".runs WHERE id = 'short' AND lease_expires_at < extract(epoch FROM clock_timestamp()) * 1000`,
        );
        return rows.length > 0;
      }, 'the lease to pass by the database clock', 5_000);
      const taken = await store.claimRuns(claimOpts('on-time', Date.now()));
      expect(taken.map((c) => [c.run.runId, c.run.owner])).toEqual([['short', 'on-time']]);
    } finally {
      await store.close();
    }
  });

  it('measures the offset on open, exposes it and reports it once when above the threshold', async () => {
    const reports: unknown[] = [];
    const store = new PostgresStore({ connectionString: PG_URL, schema: schemas.next(), onError: (e) => reports.push(e), clockSkewWarnMs: 2_000 });
    store.setClock(() => Date.now() - MINUTE);
    await store.open();
    try {
      expect(Math.abs(store.clockOffsetMs - MINUTE)).toBeLessThan(1_000);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ code: 'CLOCK_SKEW', name: 'ClockSkewError' });
      expect(Math.abs((reports[0] as { offsetMs: number }).offsetMs - MINUTE)).toBeLessThan(1_000);
      expect(String((reports[0] as Error).message)).toMatch(/behind the database/);
      await store.measureClock();
      expect(reports).toHaveLength(1);
    } finally {
      await store.close();
    }
    const onTime = await openStore(schemas.next(), { onError: (e) => reports.push(e) });
    expect(Math.abs(onTime.clockOffsetMs)).toBeLessThan(1_000);
    expect(reports).toHaveLength(1);
    await onTime.close();
  });
});

describe('postgres: two engines whose clocks disagree by a minute', () => {
  const N = z.object({ n: z.number() });

  /** A workflow whose one step waits until the test opens its gate, counting executions. */
  function gated() {
    const calls: string[] = [];
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const step = createStep({
      id: 'slow',
      inputSchema: N,
      outputSchema: N,
      execute: async ({ inputData }) => {
        calls.push('slow');
        await opened;
        return { n: inputData.n + 1 };
      },
    });
    // Each engine gets its own workflow object (one object belongs to one engine); they share the step.
    const build = () => createWorkflow({ id: 'skewed', inputSchema: N, outputSchema: N }).then(step).commit();
    return { build, calls, open };
  }

  /**
   * A Weft whose clock is `skewMs` off. Its store measures the offset when it opens; when not
   * `measured`, the clock is stepped only after that (`step()`), so the offset it knows is stale.
   */
  function engine(schema: string, skewMs: number, measured: boolean, build: ReturnType<typeof gated>['build']) {
    let skew = measured ? skewMs : 0;
    const clock = () => Date.now() + skew;
    const store = postgresStore({ connectionString: PG_URL, schema, onError: () => {} });
    let claims = 0;
    const claimRuns = store.claimRuns.bind(store);
    store.claimRuns = async (opts) => {
      const out = await claimRuns(opts);
      claims++;
      return out;
    };
    const weft = new Weft(withTestSeams({ workflows: { wf: build() }, store: store as Store, worker: { pollMs: 20, leaseMs: 10_000 }, onError: () => {} }, { clock }));
    /** Opens the store (measuring the offset), steps the clock when the skew is not to be measured, starts. */
    const start = async () => {
      await store.open();
      skew = skewMs;
      await weft.start();
    };
    return { weft, start, claims: () => claims };
  }

  for (const [what, ownerSkew, otherSkew] of [
    ['a worker 60 s ahead does not take over a run held by a worker on time', 0, MINUTE],
    ['a worker on time does not take over a run held by a worker 60 s behind', -MINUTE, 0],
    // The owner's lease guard counts on its own clock (from when it sent the claim), never on the
    // database's expiry: compared with a clock a minute ahead, that expiry looks long past.
    ['a worker 60 s ahead keeps its own run', MINUTE, 0],
  ] as const) {
    for (const measured of [true, false]) {
      it(`${what} (${measured ? 'offset measured' : 'clock stepped after the measurement'})`, async () => {
        const schema = schemas.next();
        const { build, calls, open } = gated();
        const other = engine(schema, otherSkew, measured, build);
        const owner = engine(schema, ownerSkew, measured, build);
        const wf = owner.weft.getWorkflow('wf');
        await owner.start();
        try {
          const run = await wf.createRun({ runId: 'r1' });
          await run.startAsync({ inputData: { n: 1 } });
          await waitUntil(() => calls.length === 1, 'the owner to start the step');
          const { rows: before } = await admin.query(`SELECT owner, lease_epoch FROM "${schema}".runs WHERE id = 'r1'`);
          await other.start();
          // The other worker polls again and again while the owner holds the lease.
          const seen = other.claims();
          await waitUntil(() => other.claims() >= seen + 10, 'the other worker to poll 10 times');
          const { rows: after } = await admin.query(`SELECT owner, lease_epoch FROM "${schema}".runs WHERE id = 'r1'`);
          expect(after).toEqual(before);
          expect(calls).toEqual(['slow']);
          open();
          await waitUntil(async () => (await wf.getWorkflowRunExecutionResult('r1'))?.status === 'success', 'the run to finish');
          expect(calls).toEqual(['slow']);
        } finally {
          open();
          await other.weft.stop();
          await owner.weft.stop();
        }
      });
    }
  }
});
