// @vitest-environment happy-dom
// Every card template is parsed and validated by the Adaptive Cards SDK (schema 1.5, no
// warnings or errors) and rendered to HTML; user data can never become a template expression.
import * as AC from 'adaptivecards';
import { describe, expect, it } from 'vitest';
import {
  CARD_TEMPLATES,
  cardBytes,
  loadTemplate,
  MAX_CARD_BYTES,
  renderCard,
  renderCardWithin,
} from '../../bot/cards/render-card.ts';
import { CARD_SAMPLES } from './card-samples.ts';

function validateCard(json: Record<string, unknown>): { errors: string[]; html: string } {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  context.targetVersion = AC.Versions.v1_5;
  card.parse(json, context);
  const errors: string[] = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    errors.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  const validation = card.validateProperties();
  for (const e of validation.validationEvents) errors.push(`${AC.ValidationEvent[e.event]}: ${e.message}`);
  const element = card.render();
  return { errors, html: element?.outerHTML ?? '' };
}

describe('card templates', () => {
  it('has a sample for every template and every template file is listed', () => {
    expect(Object.keys(CARD_SAMPLES).sort()).toEqual([...CARD_TEMPLATES].sort());
  });

  for (const name of CARD_TEMPLATES) {
    it(`${name}: schema 1.5, valid for the Adaptive Cards SDK, renders to HTML`, () => {
      const template = loadTemplate(name) as Record<string, unknown>;
      expect(template.version).toBe('1.5');
      const card = renderCard(name, CARD_SAMPLES[name]);
      // Every expression got a value: nothing like "${x}" is left for Teams to show.
      expect(JSON.stringify(card)).not.toMatch(/\$\{/);
      const { errors, html } = validateCard(card);
      expect(errors).toEqual([]);
      expect(html).toMatch(/^<div/);
      expect(html.length).toBeGreaterThan(100);
    });
  }

  it('the validation used here does reject broken cards', () => {
    const broken = validateCard({
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'FancyWidget' }, { type: 'Input.Text' }],
      actions: [{ type: 'Action.OpenUrl', title: 'x' }],
    });
    expect(broken.errors.length).toBeGreaterThanOrEqual(2);
  });

  it('renders Action.Execute buttons with their verbs', () => {
    const card = renderCard('approval', CARD_SAMPLES.approval);
    const { html } = validateCard(card);
    expect(html).toContain('Approve');
    expect(html).toContain('Reject');
    const actions = card.actions as { verb?: string }[];
    expect(actions.map((a) => a.verb).filter(Boolean)).toEqual(['approval.approve', 'approval.reject']);
    expect((card.refresh as { userIds: string[] }).userIds).toEqual(['29:requester']);
  });

  it('keeps user data literal, even when it looks like a template expression', () => {
    const card = renderCard('notice', {
      title: ['$', '{tenantId}'].join(''),
      message: ['x$', '{1+1}'].join(''),
      hint: '',
      tone: 'info',
    });
    const text = JSON.stringify(card);
    expect(text).toContain('$ {tenantId}');
    expect(text).not.toContain('"2"');
  });

  it('shortens long lists so no card exceeds the 28 KB limit, and says so', () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({
      label: `User ${i} ${'x'.repeat(60)}`,
      detail: `u${i}@contoso.com`,
      objectType: 'user',
      objectId: `id-${i}`,
    }));
    const card = renderCardWithin('object-list', { ...CARD_SAMPLES['object-list'], items }, ['items']);
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(JSON.stringify(card)).toMatch(/more not shown here/);
    expect(validateCard(card).errors).toEqual([]);
  });
});
