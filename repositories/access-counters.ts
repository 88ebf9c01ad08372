/** Unattended reads per consent, endpoint and UTC day: PSD2's frequencyPerDay, counted durably on our side. */
export interface AccessCounterRepository {
  /** The day's count per endpoint of a consent (endpoints not read that day are absent). */
  counts(consentId: string, day: string): Promise<Map<string, number>>;
  /**
   * Counts one read unless the day's count has reached `limit`; false (and nothing counted) then.
   * Atomic: processes counting the same consent at once never pass the limit together.
   */
  count(consentId: string, endpoint: string, day: string, limit: number): Promise<boolean>;
}
