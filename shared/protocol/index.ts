export * from './errors';
export * from './ids';
export * from './inbound';
export * from './limits';
export * from './outbound';
export * from './problem';
export * from './resources';
