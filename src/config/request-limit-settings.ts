// The limits on what a caller may ask for and the per-app quotas, as the services take them
// (docs/security.md, "Limits on requests and stored jobs"). A bad value is a start error naming
// the flag.

import type { RequestLimits } from '../core/model/request-limits.js';
import { parseGoDuration } from '../core/schedule/index.js';
import { settingName, type DuetimeConfig } from './config.js';

export interface RequestLimitSettings {
  requestLimits: RequestLimits;
  /** app/app-quota.ts's AppQuotaOptions (config imports only core). */
  quota: { maxJobsPerApp: number; scheduleRatePerApp: number; scheduleBurstPerApp: number };
}

export function readRequestLimitSettings(config: DuetimeConfig): RequestLimitSettings {
  return {
    requestLimits: {
      minIntervalMs: minInterval(config),
      maxScheduleLength: wholeNumber(config, 'maxScheduleLength', 1),
      maxDurationLength: wholeNumber(config, 'maxDurationLength', 1),
    },
    quota: {
      maxJobsPerApp: wholeNumber(config, 'maxJobsPerApp', 0),
      scheduleRatePerApp: wholeNumber(config, 'scheduleRatePerApp', 0),
      scheduleBurstPerApp: wholeNumber(config, 'scheduleBurstPerApp', 1),
    },
  };
}

function minInterval(config: DuetimeConfig): number {
  let ms: number;
  try {
    ms = parseGoDuration(String(config.minInterval));
  } catch (error) {
    throw new Error(`cannot start: ${settingName('minInterval')} ${(error as Error).message}`);
  }
  // 1ms is the finest step a schedule has; below it the rule would refuse nothing.
  if (!Number.isInteger(ms) || ms < 1) throw new Error(`cannot start: ${settingName('minInterval')} is ${config.minInterval}; it must be a whole number of milliseconds, 1ms or more`);
  return ms;
}

type IntKey = 'maxScheduleLength' | 'maxDurationLength' | 'maxJobsPerApp' | 'scheduleRatePerApp' | 'scheduleBurstPerApp';

function wholeNumber(config: DuetimeConfig, key: IntKey, least: number): number {
  const value = config[key];
  if (!Number.isSafeInteger(value) || value < least) throw new Error(`cannot start: ${settingName(key)} is ${String(value)}; it must be a whole number >= ${least}`);
  return value;
}
