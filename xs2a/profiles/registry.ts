import { Xs2aError } from '../errors';
import type { BankProfile } from './types';

/** The banks this process talks to, by the id stored with each connection. */
export class ProfileRegistry {
  private readonly profiles = new Map<string, BankProfile>();

  constructor(profiles: Iterable<BankProfile> = []) {
    for (const p of profiles) this.register(p);
  }

  /** A second profile under the same id is a configuration mistake, not an update. */
  register(profile: BankProfile): this {
    if (this.profiles.has(profile.id)) {
      throw new Xs2aError(`Bank profile '${profile.id}' is registered twice`, {
        kind: 'configuration',
        aspsp: profile.id,
      });
    }
    this.profiles.set(profile.id, profile);
    return this;
  }

  get(id: string): BankProfile {
    const profile = this.profiles.get(id);
    if (!profile) {
      const known = [...this.profiles.keys()].sort().join(', ') || 'none';
      throw new Xs2aError(`Unknown bank profile '${id}' (registered: ${known})`, { kind: 'configuration', aspsp: id });
    }
    return profile;
  }

  has(id: string): boolean {
    return this.profiles.has(id);
  }

  list(): BankProfile[] {
    return [...this.profiles.values()];
  }
}
