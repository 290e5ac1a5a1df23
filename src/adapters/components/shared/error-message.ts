/** The message of anything thrown, for health reports and wrapped errors. */
export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    // Node's net errors for "localhost" come as an AggregateError of one per address.
    return err.errors.map(errorMessage).join('; ');
  }
  if (err instanceof Error) return err.message || err.name || String((err as { code?: unknown }).code ?? 'error');
  return String(err);
}
