const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A table name from metadata, checked and double-quoted for SQL: "state" or "schema"."state".
 * Returns undefined when it is not one or two plain identifiers (it is spliced into SQL).
 */
export function quoteTableName(name: string): string | undefined {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) return undefined;
  return parts.map((p) => `"${p}"`).join('.');
}
