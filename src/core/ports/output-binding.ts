import type { ComponentHealth } from './component-health.js';

export interface BindingRequest {
  /** The binding's operation, e.g. `create`, `get` for bindings.http. */
  operation: string;
  data: unknown;
  metadata: Record<string, string>;
}

export interface BindingResponse {
  status?: number;
  data?: unknown;
}

/**
 * An output binding component. invoke() rejects with an Error when the operation fails (for
 * bindings.http: a non-2xx answer, a refused connection or a timeout).
 */
export interface OutputBinding extends ComponentHealth {
  invoke(req: BindingRequest): Promise<BindingResponse>;
  close(): Promise<void>;
}
