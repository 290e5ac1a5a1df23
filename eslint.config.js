// Lint: the recommended rules for JS and TS; type-aware checks come from `npm run typecheck`.
// The layer rules below keep imports pointing inward (docs/architecture.md): a wrong import fails
// the lint, and test/unit/architecture/layer-rules.test.ts proves each rule fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** One restricted-import pattern: a regular expression over the import path, and why not. */
const forbid = (regex, message) => ({ regex, message });

// Paths as written in imports (relative, with .js): what a file in each layer may not reach.
const SERVER_LAYERS = 'adapters|app|api|cli|config|testing';
const NO_TESTING = forbid('(^|/)testing/', 'production code never imports testing/: it is for tests only');
const NODE_IO = '^node:(fs|fs/promises|net|http|https|http2|dgram|child_process|worker_threads|cluster|tls|dns)$';
const DRIVERS = '^(better-sqlite3|fastify|undici|ioredis|pg|mqtt|amqplib|@nats-io/.*|@grpc/.*|pino|prom-client|yaml|commander)$';

/** The dependency rule, per folder. */
export const layerRules = [
  {
    name: 'core: pure domain, imports nothing outside itself and does no I/O',
    files: ['src/core/**/*.ts'],
    patterns: [
      forbid(`^(\\.\\./)+(${SERVER_LAYERS}|main\\.js)(/|$)`, 'core imports nothing outside src/core: declare a port in core/ports and let main.ts wire an adapter'),
      forbid(NODE_IO, 'core does no I/O: put it behind a port (core/ports) and implement it in an adapter'),
      forbid(DRIVERS, 'core uses no drivers or frameworks: they belong to adapters/ or api/'),
      NO_TESTING,
    ],
  },
  {
    name: 'adapters: implement core ports; never import app, api, another adapter or main',
    files: ['src/adapters/*/*.ts'],
    patterns: [
      forbid('^\\.\\./(?!\\.\\.)', 'an adapter does not import another adapter: share through core/ or main.ts'),
      forbid(`^\\.\\./\\.\\./(app|api|cli|config|testing|main\\.js)(/|$)`, 'adapters import only core (ports and model)'),
      NO_TESTING,
    ],
  },
  {
    name: 'adapters/components/*: the same, one folder deeper',
    files: ['src/adapters/components/*/*.ts'],
    patterns: [
      forbid('^\\.\\./\\.\\./(?!\\.\\.)', 'an adapter does not import another adapter: share through core/ or main.ts'),
      forbid(`^\\.\\./\\.\\./\\.\\./(app|api|cli|config|testing|main\\.js)(/|$)`, 'adapters import only core (ports and model)'),
      NO_TESTING,
    ],
  },
  {
    name: 'app: use cases over core; no adapters, no api',
    files: ['src/app/**/*.ts'],
    patterns: [forbid('(^|\\./)(adapters|api|cli)/|(^|/)main\\.js$', 'app depends on core ports only; main.ts picks the adapters'), NO_TESTING],
  },
  {
    name: 'api: the edge; calls app and core, never adapters',
    files: ['src/api/**/*.ts'],
    patterns: [forbid('(^|\\./)(adapters|cli)/|(^|/)main\\.js$', 'api reaches adapters only through core ports that main.ts wires'), NO_TESTING],
  },
  {
    name: 'the composition root, the CLI and the config schema: anything but testing/',
    files: ['src/cli/**/*.ts', 'src/config/**/*.ts', 'src/main.ts'],
    patterns: [NO_TESTING],
  },
  {
    name: 'the SDK (packages/sdk, @duetime/sdk): its own files, Node built-ins and @grpc/* only; the server may import it, never the reverse',
    files: ['packages/sdk/src/**/*.ts'],
    patterns: [
      // src/*.ts reach src/protocol/ downwards only; src/protocol/*.ts, the wire contract the
      // server imports too, never go up: so no file leaves src/ and protocol/ needs no client code.
      forbid('^\\.\\./', 'the SDK imports no server code (it installs alone) and protocol/ none of the clients: share through packages/sdk/src/protocol'),
      forbid('^(?!node:|@grpc/|\\.)', 'the SDK depends only on @grpc/grpc-js and @grpc/proto-loader (and Node built-ins)'),
    ],
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'packages/*/dist/**', 'docs/sdk-api/**', 'node_modules/**', 'data/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules.map(({ name, files, patterns }) => ({ name, files, rules: { 'no-restricted-imports': ['error', { patterns }] } })),
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', 'bench/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Plain JavaScript apps a newcomer runs with node: Node's globals (fetch, timers, URL).
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', fetch: 'readonly', setTimeout: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
  },
);
