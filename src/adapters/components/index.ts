// The component layer: Dapr component YAML in, pub/sub, state store and binding adapters out.
// main.ts is the only production importer; it reads the folder, creates the registry and hands
// the ports to the engine.
export { ComponentConfigError } from './component-config-error.js';
export { SUPPORTED_COMPONENT_TYPES, type ComponentDescriptor, type ComponentType } from './component-descriptor.js';
export {
  createComponents,
  type ComponentRegistry,
  type ComponentStatus,
  type CreateComponentsOptions,
  type CronBinding,
  type JobStateStoreFlag,
} from './create-components.js';
export { COMPONENT_API_VERSION, loadComponents, parseComponentFile, type LoadOptions } from './load-components.js';
