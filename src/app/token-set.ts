// The API tokens in force: one object that every reader holds (HTTP routes, the schedule lane,
// the dashboard, both gRPC services, the streams), so a reload on SIGHUP swaps the list in one
// place and every request after it sees the new list (docs/security.md, "Changing the policy and
// the tokens without a restart").
//
// Why a holder and not `identity.tokens = newList`: an array field is read through whatever object
// a reader was given, and a reader that copied the options (`{ ...identity }`, as gRPC deps are
// spread) or the array would keep the old tokens, silently, for the life of the process. A holder
// is shared by every copy of the options; it also tells the long-lived streams, which were checked
// only when they opened, to check again. The swap is one assignment of a frozen list, so a
// request reads either the old list or the new one, never a mix.
//
//   constructed (on or off, from the start's tokens) --replace(list of the same kind)--> the new
//   list in force, listeners called --replace(a list that turns authentication on or off)--> refused

export interface ApiToken {
  token: string;
  /** When set, the token acts only as this app; otherwise as the app named by header or default. */
  appId?: string;
  namespace?: string;
}

export class TokenSet {
  private tokens: readonly ApiToken[];
  private readonly listeners = new Set<() => void>();

  constructor(tokens: readonly ApiToken[] = []) {
    this.tokens = Object.freeze([...tokens]);
  }

  /** The tokens in force now; read once per request, so one request sees one list. */
  get current(): readonly ApiToken[] {
    return this.tokens;
  }

  /** Tokens are configured: every call must present one. Fixed at start. */
  get required(): boolean {
    return this.tokens.length > 0;
  }

  /**
   * Puts a new list in force, then tells the listeners. Whether tokens are required cannot change:
   * what was decided at start from it (the default invoke rule, the dashboard's sign-in) would be
   * wrong, so that takes a restart.
   */
  replace(tokens: readonly ApiToken[]): void {
    if (tokens.length > 0 !== this.required) {
      throw new Error(`a reload cannot turn API authentication ${this.required ? 'off' : 'on'}; that needs a restart`);
    }
    this.tokens = Object.freeze([...tokens]);
    // Every listener runs even when one throws: one failing must not leave streams unchecked.
    let failure: unknown;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Called after each replace(); returns the unsubscribe. */
  onReplaced(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
