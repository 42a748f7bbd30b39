// A form for simple configs, made from the service's schema: one field per top-level property whose value is a
// string, number, integer, boolean or one of an enum. Other properties keep their value and are edited as JSON.

import { h } from './dom.js';
import { propertiesAt, summary } from './schema.js';
import { MASK } from './editor.js';

const SIMPLE = new Set(['string', 'number', 'integer', 'boolean']);

/** The fields the schema allows for a form, or null when it describes no simple property. */
export function formFields(schema) {
  if (!schema) return null;
  const fields = [];
  for (const [name, sub] of propertiesAt(schema, [])) {
    const about = summary(schema, [sub]);
    if (about.enum || SIMPLE.has(about.type)) fields.push({ name, about });
  }
  return fields.length ? fields : null;
}

/** Fills `form` with the fields, set from `config`. */
export function renderForm(form, fields, config) {
  form.replaceChildren();
  for (const { name, about } of fields) {
    const id = 'field-' + name;
    const value = config ? config[name] : undefined;
    let input;
    if (about.enum || about.type === 'boolean') {
      const choices = about.enum || [true, false];
      // a stored value the schema does not offer stays a choice, so that saving the form never drops it
      const offered = value === undefined || choices.some((v) => JSON.stringify(v) === JSON.stringify(value));
      input = h('select', { id, name },
        h('option', { value: '' }, '(not set)'),
        choices.map((v) => h('option', { value: JSON.stringify(v), selected: value !== undefined && JSON.stringify(v) === JSON.stringify(value) }, String(v))),
        offered ? null : h('option', { value: JSON.stringify(value), selected: true }, JSON.stringify(value) + ' (stored)'));
    } else if (about.type === 'number' || about.type === 'integer') {
      input = h('input', {
        id, name, type: 'number', step: about.type === 'integer' ? '1' : 'any',
        min: about.minimum, max: about.maximum, value: value ?? '', placeholder: about.default ?? '',
      });
    } else {
      input = h('input', {
        id, name, type: about.secret ? 'password' : 'text', value: value ?? '', placeholder: about.default ?? '',
        autocomplete: 'off', title: about.secret ? 'secret: left as ******** it keeps the stored value' : undefined,
      });
    }
    input.dataset.kind = about.enum ? 'enum' : about.type;
    form.append(h('div', { class: 'field' },
      h('label', { for: id }, about.title || name, about.secret ? h('span', { class: 'badge' }, 'secret') : null),
      input,
      about.description ? h('small', {}, about.description) : null,
      h('small', { class: 'field-error', id: id + '-error' })));
  }
}

/** The config the form describes, over `config` (whose other properties are kept). */
export function readForm(form, fields, config) {
  const next = { ...(config || {}) };
  for (const { name } of fields) {
    const input = form.elements.namedItem(name);
    const raw = input.value;
    if (raw === '') {
      // an empty text field keeps a stored empty string; otherwise empty means not set
      if (!(input.dataset.kind === 'string' && next[name] === '')) delete next[name];
      continue;
    }
    switch (input.dataset.kind) {
      case 'enum': case 'boolean': next[name] = JSON.parse(raw); break;
      case 'number': case 'integer': next[name] = Number(raw); break;
      default: next[name] = raw;
    }
  }
  return next;
}

export { MASK };
