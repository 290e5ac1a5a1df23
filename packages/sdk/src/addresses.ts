// Where the SDK's clients go: one address or several. An option may name one ("host:port"), a
// list, or a comma-separated string (the form an environment variable takes); blanks and
// repeats are dropped, order is kept (the first is tried first).

export type Addresses = string | readonly string[];

/** The addresses from the option, else from the environment variable, else the default. */
export function addressList(option: Addresses | undefined, envValue: string | undefined, fallback: string): string[] {
  const given = option ?? envValue ?? fallback;
  const parts = (typeof given === 'string' ? [given] : [...given]).flatMap((a) => a.split(',')).map((a) => a.trim());
  const list = [...new Set(parts.filter((a) => a !== ''))];
  if (list.length === 0) throw new Error(`no address given (got ${JSON.stringify(given)}); pass one such as "${fallback}"`);
  return list;
}

/**
 * Sticky failover over a fixed list: calls start at the address that answered last, and move
 * on through the others in order only when it cannot be reached.
 */
export class AddressRotation {
  private preferred = 0;

  constructor(readonly addresses: readonly string[]) {}

  /** Indexes in the order to try them: the preferred one first, then the rest in list order. */
  order(): number[] {
    const n = this.addresses.length;
    return Array.from({ length: n }, (_, k) => (this.preferred + k) % n);
  }

  /** The address at this index answered: start there next time. */
  answered(index: number): void {
    this.preferred = index;
  }
}
