import { describe, expect, it } from 'vitest';
import type { Chunk } from '../api/model';
import { ReplayEngine } from './replay';

const chunk = (seq: number, tsMs: number): Chunk => ({ seq, offset: 0, timestamp: '', tsMs, level: 'pty', data: new Uint8Array([seq]) });
// Chunks at 0, 100, 1000, 3000 ms after the first.
const CHUNKS = [chunk(1, 5000), chunk(2, 5100), chunk(3, 6000), chunk(4, 8000)];

function setup() {
  const clock = { t: 0, now() { return this.t; } };
  const screen: number[] = [];
  let resets = 0;
  const engine = new ReplayEngine(CHUNKS, { reset: () => { screen.length = 0; resets++; }, write: (cs) => screen.push(...cs.map((c) => c.seq)) }, clock);
  return { clock, screen, engine, resets: () => resets };
}

describe('ReplayEngine', () => {
  it('plays chunks back with their original timing', () => {
    const { clock, screen, engine } = setup();
    expect(engine.duration).toBe(3000);
    engine.play();
    expect(screen).toEqual([1]);
    expect(engine.tick()).toBe(100);
    clock.t = 99;
    engine.tick();
    expect(screen).toEqual([1]);
    clock.t = 100;
    expect(engine.tick()).toBe(900);
    expect(screen).toEqual([1, 2]);
    clock.t = 3000;
    expect(engine.tick()).toBe(Infinity);
    expect(screen).toEqual([1, 2, 3, 4]);
    expect(engine.ended).toBe(true);
    expect(engine.playing).toBe(false);
  });

  it('plays faster at 8×', () => {
    const { clock, screen, engine } = setup();
    engine.setSpeed(8);
    engine.play();
    clock.t = 125; // 1000 ms of session time
    engine.tick();
    expect(screen).toEqual([1, 2, 3]);
    expect(engine.tick()).toBe(250); // 2000 ms left at 8×
  });

  it('stops the clock while paused', () => {
    const { clock, screen, engine } = setup();
    engine.play();
    clock.t = 50;
    engine.pause();
    clock.t = 5000;
    expect(engine.tick()).toBe(Infinity);
    expect(screen).toEqual([1]);
    expect(engine.position()).toBe(50);
    engine.play();
    clock.t = 5050;
    engine.tick();
    expect(screen).toEqual([1, 2]);
  });

  it('seeks back by redrawing from the start, forward by writing the gap', () => {
    const { screen, engine, resets } = setup();
    engine.seek(1500);
    expect(screen).toEqual([1, 2, 3]);
    engine.seek(50);
    expect(resets()).toBe(1);
    expect(screen).toEqual([1]);
    engine.seek(3000);
    expect(screen).toEqual([1, 2, 3, 4]);
    expect(engine.ended).toBe(true);
  });

  it('restarts from the beginning when played after the end', () => {
    const { screen, engine } = setup();
    engine.seek(3000);
    engine.play();
    expect(screen).toEqual([1]);
  });
});
