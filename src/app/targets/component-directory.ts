// The components this server was started with, as the use cases see them: ports by name, with
// each component's type and scopes from its YAML. The lookups throw the 400 that names the
// component and lists the known ones, so schedule time and the publish API say the same thing.

import { InvalidRequestError } from '../../core/errors.js';
import type { OutputBinding } from '../../core/ports/output-binding.js';
import type { Publisher } from '../../core/ports/publisher.js';
import type { StateStore } from '../../core/ports/state-store.js';

/** What main.ts hands over: the component registry's maps (structurally). */
export interface ComponentPorts {
  pubsubs: ReadonlyMap<string, Publisher>;
  stateStores: ReadonlyMap<string, StateStore>;
  bindings: ReadonlyMap<string, OutputBinding>;
  /** The state store holding jobs' payloads (metadata jobStateStore "true"), if any. */
  jobStateStoreName?: string | undefined;
}

/** From each component's YAML: its spec.type and Dapr's `scopes` (app ids; empty = every app). */
export interface ComponentInfo {
  type: string;
  scopes: readonly string[];
}

type Kind = 'pubsub' | 'state' | 'binding';

const KIND_WORDS: Record<Kind, string> = { pubsub: 'pub/sub component', state: 'state store', binding: 'output binding' };
const ARTICLE: Record<Kind, string> = { pubsub: 'a', state: 'a', binding: 'an' };

export interface LookupError {
  code: string;
  field: string;
}

export class ComponentDirectory {
  constructor(
    readonly ports: ComponentPorts,
    private readonly info: ReadonlyMap<string, ComponentInfo> = new Map(),
  ) {}

  static empty(): ComponentDirectory {
    return new ComponentDirectory({ pubsubs: new Map(), stateStores: new Map(), bindings: new Map() });
  }

  get jobStateStoreName(): string | undefined {
    return this.ports.jobStateStoreName;
  }

  typeOf(name: string): string | undefined {
    return this.info.get(name)?.type;
  }

  /** The pub/sub component `name` for app `appId`, or a 400 naming it and the known ones. */
  pubsub(name: string, appId: string, error: LookupError): Publisher {
    return this.lookup('pubsub', this.ports.pubsubs, name, appId, error);
  }

  stateStore(name: string, appId: string, error: LookupError): StateStore {
    return this.lookup('state', this.ports.stateStores, name, appId, error);
  }

  binding(name: string, appId: string, error: LookupError): OutputBinding {
    return this.lookup('binding', this.ports.bindings, name, appId, error);
  }

  private lookup<T>(kind: Kind, map: ReadonlyMap<string, T>, name: string, appId: string, error: LookupError): T {
    const found = map.get(name);
    if (found === undefined) {
      const known = [...map.keys()].sort();
      const words = KIND_WORDS[kind];
      const list = known.length > 0 ? `known ${words}s: ${known.join(', ')}` : `no ${words}s are configured (add a component YAML file to --components-path)`;
      throw new InvalidRequestError(error.code, `${error.field} "${name}" is not ${ARTICLE[kind]} ${words}; ${list}`, error.field);
    }
    const scopes = this.info.get(name)?.scopes ?? [];
    if (scopes.length > 0 && !scopes.includes(appId)) {
      throw new InvalidRequestError(
        error.code,
        `${KIND_WORDS[kind]} "${name}" is scoped to apps ${scopes.join(', ')}; app "${appId}" cannot use it (add it to the component's scopes)`,
        error.field,
      );
    }
    return found;
  }
}
