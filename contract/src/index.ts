export * from './contract.js';
export * from './limits.js';
export * from './slug.js';
export * from './image-url.js';
export * from './results.js';
export * from './backoff.js';
export * from './cpf.js';
export * from './voters.js';
