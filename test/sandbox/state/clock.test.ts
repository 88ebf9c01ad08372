import { describe, expect, it } from 'vitest';
import { createSandboxClock } from '../../../sandbox/state';

describe('sandbox clock', () => {
  it('starts where told, follows real time, and adds advances', async () => {
    const clock = createSandboxClock(new Date('2030-01-01T00:00:00Z'));
    const t0 = clock.now().getTime();
    expect(Math.abs(t0 - Date.parse('2030-01-01T00:00:00Z'))).toBeLessThan(50);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(clock.now().getTime() - t0).toBeGreaterThanOrEqual(25);
    clock.advance(86_400_000);
    expect(clock.now().toISOString().slice(0, 10)).toBe('2030-01-02');
    clock.set(new Date('2025-06-01T12:00:00Z'));
    expect(Math.abs(clock.now().getTime() - Date.parse('2025-06-01T12:00:00Z'))).toBeLessThan(50);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.set(new Date('nonsense'))).toThrow(RangeError);
  });

  it('defaults to real now', () => {
    expect(Math.abs(createSandboxClock().now().getTime() - Date.now())).toBeLessThan(50);
  });

  it('refuses a move outside the valid Date range (±8.64e15 ms) and stays where it was', () => {
    const clock = createSandboxClock(new Date('2030-01-01T00:00:00Z'));
    const offset = clock.offsetMs();
    expect(() => clock.advance(8.64e15)).toThrow(RangeError);
    expect(() => clock.advance(-8.64e15 - 2e12)).toThrow(RangeError);
    expect(() => clock.setOffset(8.64e15)).toThrow(RangeError);
    expect(() => clock.setOffset(-9e15)).toThrow(RangeError);
    expect(clock.offsetMs()).toBe(offset);
    expect(clock.now().toISOString().slice(0, 10)).toBe('2030-01-01');
    // The edges themselves are fine.
    clock.set(new Date(-8.64e15));
    expect(clock.now().getTime()).toBeLessThan(-8.6e15);
    clock.set(new Date('2030-01-01T00:00:00Z'));
    clock.advance(1000 * 86_400_000);
    expect(clock.now().toISOString().slice(0, 4)).toBe('2032');
  });
});
