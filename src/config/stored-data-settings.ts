// The limits on what a caller stores and asks for, as the services take them (docs/security.md,
// "Limits on requests and stored jobs"). A value below 1 is a start error naming the flag.

import type { DataLimits } from '../core/model/job-data.js';
import { settingName, type DuetimeConfig } from './config.js';

export interface StoredDataSettings {
  dataLimits: DataLimits;
  listPageBytes: number;
}

export function readStoredDataSettings(config: DuetimeConfig): StoredDataSettings {
  return {
    dataLimits: { maxDepth: atLeastOne(config, 'maxDataDepth'), maxBytes: atLeastOne(config, 'maxDataBytes') },
    listPageBytes: atLeastOne(config, 'listPageBytes'),
  };
}

function atLeastOne(config: DuetimeConfig, key: 'maxDataDepth' | 'maxDataBytes' | 'listPageBytes'): number {
  const value = config[key];
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`cannot start: ${settingName(key)} is ${String(value)}; it must be a whole number >= 1`);
  return value;
}
