import { describe, expect, it } from 'vitest';
import { buildCreatePlan, emptyTask, type PlanForm } from './planForm';

const form = (over: Partial<PlanForm> = {}): PlanForm => ({
  name: '',
  tool: 'claude',
  projectPath: ' /p ',
  specIds: [],
  tasks: [{ ...emptyTask(), text: 'Create the User model' }],
  budgetTokens: '',
  budgetCost: '',
  budgetTime: '',
  timeout: '',
  start: true,
  ...over,
});

describe('buildCreatePlan', () => {
  it('sends prompts, verify and attempts, and only the budget given', () => {
    const r = buildCreatePlan(
      form({
        name: ' add-login ',
        specIds: ['012'],
        tasks: [
          { ...emptyTask(), text: 'Create the User model' },
          { ...emptyTask(), text: 'Add POST /login', verify: 'npm test -- login', maxAttempts: '3' },
          emptyTask(), // an empty row is left out
        ],
        budgetTokens: '2,000,000',
        budgetTime: '2h',
      }),
    );
    expect(r).toEqual({
      ok: true,
      request: {
        name: 'add-login',
        tool: 'claude',
        project_path: '/p',
        spec_ids: ['012'],
        start: true,
        tasks: [{ prompt: 'Create the User model' }, { prompt: 'Add POST /login', verify: 'npm test -- login', max_attempts: 3 }],
        budget: { tokens: 2000000, time: '2h' },
      },
    });
  });

  it('sends commands for the shell tool', () => {
    const r = buildCreatePlan(form({ tool: 'shell', tasks: [{ ...emptyTask(), text: ' echo one ' }], budgetCost: '$0.50', timeout: '5m', start: false }));
    expect(r.ok && r.request).toEqual({ tool: 'shell', project_path: '/p', start: false, tasks: [{ command: 'echo one' }], budget: { cost_usd: 0.5 }, timeout: '5m' });
  });

  it('refuses what cannot be sent, and leaves the rest to the daemon', () => {
    expect(buildCreatePlan(form({ tasks: [emptyTask()] }))).toEqual({ ok: false, error: 'Add a task: what the agent should do.' });
    expect(buildCreatePlan(form({ tasks: [{ ...emptyTask(), text: 'x', maxAttempts: '0' }] })).ok).toBe(false);
    expect(buildCreatePlan(form({ budgetTokens: 'lots' })).ok).toBe(false);
    expect(buildCreatePlan(form({ budgetCost: '-1' })).ok).toBe(false);
    // A duration is the daemon's to judge (its 422 is shown as it says it).
    expect(buildCreatePlan(form({ budgetTime: 'soon' }))).toMatchObject({ ok: true, request: { budget: { time: 'soon' } } });
    // A row with only a verify goes too: the daemon says what is missing.
    expect(buildCreatePlan(form({ tasks: [{ ...emptyTask(), verify: 'true' }] }))).toMatchObject({ ok: true, request: { tasks: [{ verify: 'true' }] } });
  });
});
