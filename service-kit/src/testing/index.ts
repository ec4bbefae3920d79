export * from './test-database';
export * from './auth';
export * from './contract-responses';
export * from './processes';
export * from './http';
export * from './gate';
export * from './cursors';
