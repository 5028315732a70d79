/** The embedded default store: one SQLite file under .weft/ in the working directory (engine and CLI). */
export const DEFAULT_DB_PATH = '.weft/weft.db';
