import type pg from 'pg';

/**
 * Dapr's examples write the PostgreSQL connection string in libpq's key/value form
 * ("host=db user=postgres password=x port=5432 database=app"), which node-postgres does not
 * parse; URLs (postgres://...) it does. This turns either into a pool config.
 * Returns an error text when a key/value string cannot be read.
 */
export function poolConfigFrom(connectionString: string): { config: pg.PoolConfig; maxConns?: number } | string {
  if (/^postgres(ql)?:\/\//.test(connectionString)) return { config: { connectionString } };
  const pairs = parseKeyValues(connectionString);
  if (typeof pairs === 'string') return pairs;
  const config: pg.PoolConfig = {};
  let maxConns: number | undefined;
  for (const [key, value] of pairs) {
    switch (key) {
      case 'host':
      case 'hostaddr':
        config.host = value;
        break;
      case 'port':
        config.port = Number(value);
        break;
      case 'user':
        config.user = value;
        break;
      case 'password':
        config.password = value;
        break;
      case 'dbname':
      case 'database':
        config.database = value;
        break;
      case 'application_name':
        config.application_name = value;
        break;
      case 'sslmode':
        // libpq's "prefer" falls back to plain text; node-postgres cannot, so only
        // require/verify-* turn TLS on.
        if (value === 'require') config.ssl = { rejectUnauthorized: false };
        else if (value === 'verify-ca' || value === 'verify-full') config.ssl = true;
        break;
      case 'pool_max_conns':
        maxConns = Number(value);
        break;
      default:
        // connect_timeout, pool_min_conns and the like: Duetime's own metadata covers them.
        break;
    }
  }
  return { config, ...(maxConns && maxConns > 0 ? { maxConns } : {}) };
}

/** libpq key/value syntax: key=value pairs separated by spaces; values may be 'quoted' with \ escapes. */
function parseKeyValues(text: string): Array<[string, string]> | string {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    // Say where, not what: the text may hold a password.
    if (eq < 0) return `has a word without =value at character ${i + 1}; use key=value pairs or a postgres:// URL`;
    const key = text.slice(i, eq).trim();
    i = eq + 1;
    while (text[i] === ' ') i++;
    let value = '';
    if (text[i] === "'") {
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (text[i] !== "'") return `has an unclosed quote after ${key}=`;
      i++;
    } else {
      while (i < text.length && text[i] !== ' ') value += text[i++];
    }
    pairs.push([key, value]);
  }
  return pairs;
}
