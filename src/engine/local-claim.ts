import type { AnyWorkflow } from '../define/workflow.js';
import type { JournalEntry, RunRecord } from '../store/types.js';
import type { Worker } from '../worker/worker.js';
import type { LocalExecutions, RunReader } from './executions.js';

/** Lease settings of a run created, resumed or revised already claimed by this process. */
export interface LocalClaim {
  owner: string;
  leaseExpiresAt: number;
}

/** A run a command wrote claimed by this process: its record and its journal (or 'load' to read it). */
export interface Launchable {
  run: RunRecord;
  journal: JournalEntry[] | 'load';
}

export interface LocalClaimsDeps {
  worker: Worker | null;
  ownerId: string;
  executions: LocalExecutions;
  reader: RunReader;
  now(): number;
}

/**
 * The one claim path of every command that sets a run going (create, resume, retry, continue, time
 * travel, restart): when this process has a free slot, the run is written already claimed by it and
 * executes here at once; otherwise it is queued for any worker.
 */
export class LocalClaims {
  constructor(private readonly d: LocalClaimsDeps) {}

  /**
   * Runs `use` with the lease settings for a run this process takes on already claimed, or with null
   * when it has no free slot or the workflow is limited (only the store's claim can count a limited
   * run across every worker). The slot is reserved until `use` ends; the run is launched here when
   * `use` returns it, and otherwise the slot is given back and a worker is nudged.
   */
  async run(wf: AnyWorkflow, use: (claim: LocalClaim | null) => Promise<Launchable | null>): Promise<void> {
    const worker = this.d.worker;
    const claim = !wf.concurrency && worker?.reserve() ? { owner: this.d.ownerId, leaseExpiresAt: this.d.now() + worker.opts.leaseMs } : null;
    let launched = false;
    try {
      const out = await use(claim);
      if (out === null) return;
      if (claim) {
        const journal = out.journal === 'load' ? await this.d.reader.loadJournal(out.run.runId) : out.journal;
        this.d.executions.launch({ run: out.run, journal }, wf);
        launched = true;
      } else worker?.nudge();
    } finally {
      if (claim) worker!.unreserve(launched);
    }
  }
}
