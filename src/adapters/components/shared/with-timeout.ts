/**
 * Rejects when `promise` has not settled within `ms`, so a broker that stopped answering yields
 * an error within a bounded time instead of a hang. The underlying operation is not cancelled;
 * callers that can cancel (an AbortSignal, a client-side timeout) do so as well.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
