-- weft schema v7 (SQLite): values stored by content.
--
-- Large JSON values are stored by the engine's value codec (src/domain/value-codec.ts): a journal row
-- holds a small envelope whose large sub-values are references to blobs of the run, keyed by the sha256
-- of their text. A blob is written once, in the transaction of the first row that references it, and
-- kept until the run is deleted (or pruned), so a value that grows by one message per step costs about
-- one message per step. Keyed by run_key like the journal: a run's blobs sit together.
CREATE TABLE blobs (
  run_key INTEGER NOT NULL,
  hash    TEXT NOT NULL,
  data    TEXT NOT NULL,
  PRIMARY KEY (run_key, hash)
);
