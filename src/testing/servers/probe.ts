import { connect } from 'node:net';

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between attempts. */
  intervalMs?: number;
  /** Checked before each attempt: a reason to stop waiting at once (the process died). */
  abort?: () => string | undefined;
}

/**
 * Calls check until it returns true, at most until the deadline. Polling is the only way to
 * learn that a foreign server is ready, so this loop is bounded and says what it waited for.
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    const aborted = options.abort?.();
    if (aborted !== undefined) throw new Error(`${what}: ${aborted}`);
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new Error(`${what}: not ready after ${options.timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`);
}

/**
 * Opens a TCP connection to 127.0.0.1:port, optionally writes a greeting, and resolves true
 * when the server answers with bytes that `accept` likes (or, without `accept`, as soon as the
 * connection is open). Resolves false on a refused connection or a silent server.
 */
export function probeTcp(
  port: number,
  options: { send?: Buffer | string; accept?: (reply: Buffer) => boolean; timeoutMs?: number } = {},
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 1000);
    socket.on('error', () => finish(false));
    socket.on('connect', () => {
      if (options.send !== undefined) socket.write(options.send);
      if (options.accept === undefined) finish(true);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (options.accept?.(received)) finish(true);
    });
    socket.on('close', () => finish(false));
  });
}
