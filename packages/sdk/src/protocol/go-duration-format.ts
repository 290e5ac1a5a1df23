// Nanoseconds as Go's time.Duration.String() writes them: "0s", "1.5ms", "2s", "1m30s",
// "1h0m0.5s", "-2s". Pure and import-free, so the SDK shares it with the server.

const NS_PER_SECOND = 1_000_000_000n;

export function formatGoDuration(ns: bigint): string {
  if (ns < 0n) return `-${formatGoDuration(-ns)}`;
  if (ns === 0n) return '0s';
  if (ns < 1_000n) return `${ns}ns`;
  if (ns < 1_000_000n) return `${decimal(ns, 1_000n)}us`;
  if (ns < NS_PER_SECOND) return `${decimal(ns, 1_000_000n)}ms`;
  const hours = ns / (3600n * NS_PER_SECOND);
  const minutes = (ns / (60n * NS_PER_SECOND)) % 60n;
  const seconds = decimal(ns % (60n * NS_PER_SECOND), NS_PER_SECOND);
  if (hours > 0n) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

function decimal(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const fraction = value % unit;
  if (fraction === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(fraction).padStart(digits, '0').replace(/0+$/, '')}`;
}
