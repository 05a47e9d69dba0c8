export * from './agent';
export * from './errors';
export * from './events';
export * from './limits';
export * from './rest';
export * from './socket';
export * from './terminal';
export * from './validate';
