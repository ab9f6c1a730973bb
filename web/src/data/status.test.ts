import { describe, expect, it } from 'vitest';
import { sessionFromWire } from '../api/model';
import { wireSession } from '../test/fakes';
import { actionClass, actionsFor, applyUpdate, canTransition, isLive, isTerminal } from './status';

describe('status transitions', () => {
  it('follows the state machine of docs/architecture.md', () => {
    expect(canTransition('pending', 'running')).toBe(true);
    expect(canTransition('running', 'paused')).toBe(true);
    expect(canTransition('paused', 'running')).toBe(true);
    expect(canTransition('running', 'completed')).toBe(true);
    expect(canTransition('paused', 'cancelled')).toBe(true);
    expect(canTransition('interrupted', 'running')).toBe(true);
    expect(canTransition('completed', 'running')).toBe(false);
    expect(canTransition('cancelled', 'paused')).toBe(false);
    expect(canTransition('pending', 'paused')).toBe(false);
  });

  it('knows terminal and live states', () => {
    expect(['completed', 'failed', 'cancelled', 'interrupted'].every((s) => isTerminal(s as never))).toBe(true);
    expect(isTerminal('running')).toBe(false);
    expect(isLive('paused')).toBe(true);
    expect(isLive('pending')).toBe(false);
  });

  it('offers the controls that match the status', () => {
    expect(actionsFor({ status: 'running', agentSessionId: null })).toEqual(['pause', 'stop']);
    expect(actionsFor({ status: 'paused', agentSessionId: null })).toEqual(['resume', 'stop']);
    expect(actionsFor({ status: 'completed', agentSessionId: null })).toEqual(['retry', 'delete']);
    expect(actionsFor({ status: 'failed', agentSessionId: 'c1' })).toEqual(['continue', 'retry', 'delete']);
    expect(actionsFor({ status: 'interrupted', agentSessionId: 'c1' })).toEqual(['resume', 'continue', 'retry', 'delete']);
    expect(actionsFor({ status: 'interrupted', agentSessionId: null })).toEqual(['retry', 'delete']);
    expect(actionsFor({ status: 'pending', agentSessionId: null })).toEqual(['start', 'stop', 'delete']);
  });

  it('applies newer updates and ignores older ones', () => {
    const running = sessionFromWire(wireSession({ status: 'running', updated_at: '2026-11-22T03:41:13.251Z' }));
    const paused = sessionFromWire(wireSession({ status: 'paused', updated_at: '2026-11-22T03:41:14.000Z' }));
    const done = sessionFromWire(wireSession({ status: 'completed', updated_at: '2026-11-22T03:41:15.000Z' }));
    expect(applyUpdate(undefined, running)).toBe(running);
    expect(applyUpdate(running, paused)).toBe(paused);
    expect(applyUpdate(paused, running)).toBe(paused); // stale message after a fresher GET
    expect(applyUpdate(paused, done)).toBe(done);
    expect(applyUpdate(done, paused)).toBe(done);
  });

  it('lets an interrupted session run again when a newer record says so', () => {
    const interrupted = sessionFromWire(wireSession({ status: 'interrupted', updated_at: '2026-11-22T03:41:15.000Z' }));
    const resumed = sessionFromWire(wireSession({ status: 'running', updated_at: '2026-11-22T03:41:16.000Z' }));
    expect(applyUpdate(interrupted, resumed)).toBe(resumed);
  });
});

describe('actionClass', () => {
  it('warns on stop and delete, leaves pause plain, and puts the rest first', () => {
    expect(actionClass('stop')).toBe('btn-danger');
    expect(actionClass('delete')).toBe('btn-ghost btn-danger-text');
    expect(actionClass('pause')).toBe('');
    expect(['start', 'resume', 'continue', 'retry'].map((a) => actionClass(a as never))).toEqual(['btn-primary', 'btn-primary', 'btn-primary', 'btn-primary']);
  });
});
