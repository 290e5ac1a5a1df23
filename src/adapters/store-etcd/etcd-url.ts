// The --store value for etcd: etcd://host:port[,host:port...][/key-prefix]. The prefix lets
// several Duetime clusters (or tests) share one etcd; it defaults to /duetime/.

export interface EtcdUrl {
  endpoints: string[];
  prefix: string;
}

export const DEFAULT_ETCD_PREFIX = '/duetime/';

export function isEtcdUrl(store: string): boolean {
  return store.startsWith('etcd://');
}

export function parseEtcdUrl(store: string): EtcdUrl {
  if (!isEtcdUrl(store)) throw new Error(`--store "${store}" is not an etcd URL; use etcd://host:port[,host:port]`);
  const rest = store.slice('etcd://'.length);
  const slash = rest.indexOf('/');
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  const endpoints = hosts.split(',').map((h) => h.trim()).filter((h) => h !== '');
  if (endpoints.length === 0) throw new Error(`--store "${store}" names no etcd endpoint; use etcd://host:port[,host:port]`);
  for (const endpoint of endpoints) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}$/.test(endpoint)) {
      throw new Error(`--store "${store}": "${endpoint}" is not host:port`);
    }
  }
  const prefix = path === '' || path === '/' ? DEFAULT_ETCD_PREFIX : `${path.replace(/\/+$/, '')}/`;
  return { endpoints, prefix };
}
