export { becProfile, type BecProfileOptions } from './bec';
export { enfuceProfile, type EnfuceProfileOptions, type EnfuceIssuer } from './enfuce';
export { loadGenericProfile, parseGenericProfile, type GenericProfileFile } from './generic';
export { ProfileRegistry } from './registry';
export type * from './types';
