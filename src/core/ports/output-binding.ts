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
  /**
   * Why this request could never be sent (for bindings.http: a path that leaves the component's
   * base path, a header request metadata may not set), naming the metadata key; undefined when it
   * may. Checked when a job is written; invoke() refuses the same requests.
   */
  refusal?(req: Pick<BindingRequest, 'operation' | 'metadata'>): { key: string; problem: string } | undefined;
  close(): Promise<void>;
}
