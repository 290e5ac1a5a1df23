// Connections under the outbound policy (--allow-outbound): an undici connector that checks the
// address every connection goes to, after DNS, so a name registered while it pointed at an
// allowed address cannot later be made to point at a metadata service or a refused range (DNS
// rebinding). An IP literal is checked as it is; a name through a lookup that drops refused
// answers and fails when none is left. A refusal fails the request before a byte is sent, with
// an OutboundRefusedError whose message names the host, the address and the flag.
//
// The deliverers take a ConnectorFactory (main.ts passes this one) and give it their own
// connect timeout and CA, so each Agent keeps its settings.

import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import type { OutboundPolicy } from '../../core/model/outbound-policy.js';

/** What a deliverer asks of a connector: its connect timeout (ms) and the CAs it trusts. */
export interface ConnectSettings {
  timeout: number;
  ca?: Array<string | Buffer>;
}

export type ConnectorFactory = (settings: ConnectSettings) => buildConnector.connector;

export class OutboundRefusedError extends Error {
  readonly code = 'ERR_OUTBOUND_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    reason: string,
  ) {
    super(`outbound connection refused: ${reason}`);
    this.name = 'OutboundRefusedError';
  }
}

export interface GuardOptions {
  /** Told of every refusal (main.ts logs each host and address once). */
  onRefused?(refusal: { host: string; address: string; reason: string }): void;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function guardedConnectors(policy: OutboundPolicy, options: GuardOptions = {}): ConnectorFactory {
  const refuse = (host: string, address: string, reason: string): OutboundRefusedError => {
    options.onRefused?.({ host, address, reason });
    return new OutboundRefusedError(host, address, reason);
  };

  // net.connect and tls.connect call this for a name (never for an IP literal).
  const lookup = (hostname: string, lookupOptions: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const allowed: LookupAddress[] = [];
      let firstRefusal: { address: string; reason: string } | undefined;
      for (const answer of addresses) {
        const reason = policy.refusalOfConnection(hostname, answer.address);
        if (reason === undefined) allowed.push(answer);
        else {
          options.onRefused?.({ host: hostname, address: answer.address, reason });
          firstRefusal ??= { address: answer.address, reason };
        }
      }
      if (allowed.length === 0) {
        const refused = firstRefusal ?? { address: '', reason: `${hostname} resolved to no address` };
        return callback(new OutboundRefusedError(hostname, refused.address, refused.reason), []);
      }
      if (lookupOptions.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };

  return (settings) => {
    const connect = buildConnector({ timeout: settings.timeout, ...(settings.ca ? { ca: settings.ca } : {}), lookup } as buildConnector.BuildOptions);
    return (connectOptions, callback) => {
      // undici passes IPv6 literals without brackets; stripped here too, so none slips past as a "name".
      const hostname = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(hostname) !== 0) {
        const reason = policy.refusalOfConnection(hostname, hostname);
        if (reason !== undefined) {
          callback(refuse(hostname, hostname, reason), null);
          return;
        }
      }
      connect(connectOptions, callback);
    };
  };
}
