// Only the generic protocol types: the banks' presets and the generic profile loader live in banks/.
export type * from './types';
