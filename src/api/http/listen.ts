// Binds the HTTP API; a failure is a ListenError naming the `port` setting.

import type { FastifyInstance } from 'fastify';
import { ListenError } from '../listen-error.js';

/** Listens and returns the bound port (port 0 binds a free one). */
export async function listenHttp(http: FastifyInstance, host: string, port: number): Promise<number> {
  try {
    await http.listen({ host, port });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === 'EADDRINUSE' ? 'the address is already in use' : error instanceof Error ? error.message : String(error);
    throw new ListenError('port', host, port, reason, { cause: error });
  }
  const address = http.server.address();
  return typeof address === 'object' && address ? address.port : port;
}
