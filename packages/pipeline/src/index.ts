export { Pipeline, pipeline } from './pipeline.js';
export type { ExecOptions } from './pipeline.js';
