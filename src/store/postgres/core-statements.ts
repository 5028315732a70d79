import type { FlowSql } from './flow-admission.js';
import type { FlowControlSql } from './flow-control.js';
import type { JournalSql } from './journal-queries.js';
import type { RunSql } from './run-queries.js';

/** The statement texts of one schema that the store's claim and course commands use, built once per store. */
export interface CoreStatements {
  schema: string;
  runSql: RunSql;
  journalSql: JournalSql;
  flowSql: FlowControlSql;
  admitSql: FlowSql;
}
