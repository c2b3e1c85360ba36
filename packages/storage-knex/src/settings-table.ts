import type { SettingChange, SettingRecord } from '@llm-settings/core';
import type { Knex } from 'knex';
import type { Dialect, Row } from './dialects/dialect.js';
import type { Statement } from './settings-sql.js';

/** The settings table a store works on, and what every part of the store shares to reach it. */
export interface SettingsTable {
  readonly knex: Knex;
  /** The table's name. */
  readonly name: string;
  /** The name of its history table. */
  readonly historyName: string;
  readonly dialect: Dialect;
  /** Source of `updatedAt`. */
  readonly now: () => Date;
  /** Tells the store's listeners of a change. */
  readonly emit: (change: SettingChange) => void;
}

/** A row of the table as core's record. */
export function toRecord(table: SettingsTable, row: Row): SettingRecord {
  return {
    key: String(row.key),
    value: String(row.value),
    version: Number(row.version),
    updatedAt: table.dialect.fromTimestamp(row.updated_at),
  };
}

/** Runs one read statement outside any transaction. */
export function query(table: SettingsTable, statement: Statement): Promise<Row[]> {
  return table.dialect.query(table.knex, statement.sql, statement.bindings);
}
