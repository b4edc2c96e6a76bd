import type Database from 'better-sqlite3';

/** Whether the file has this table: the SQLite store's migrations ask it of files from older layouts. */
export function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
