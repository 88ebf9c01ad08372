/**
 * A Map that reports every change, so state kept in plain Maps by the HTTP layer can trigger a
 * save like BankState's own changes do. Reads are untouched.
 */
export class NotifyingMap<K, V> extends Map<K, V> {
  private onChange: (() => void) | undefined;

  constructor(onChange: () => void, entries?: Iterable<readonly [K, V]>) {
    // Map's constructor adds entries through set(), before onChange is assigned: no notification for them.
    super(entries ?? []);
    this.onChange = onChange;
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    this.onChange?.();
    return this;
  }

  override delete(key: K): boolean {
    const deleted = super.delete(key);
    if (deleted) this.onChange?.();
    return deleted;
  }

  override clear(): void {
    super.clear();
    this.onChange?.();
  }
}
