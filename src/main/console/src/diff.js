// A side-by-side diff of two configs: both pretty-printed, lines aligned, a changed line's words marked inside it
// (a long string that changed one word shows that word). Built with jsdiff.

import { diffLines, diffWordsWithSpace } from 'diff';
import { h } from './dom.js';

function lines(value) {
  return value === undefined || value === null ? [] : JSON.stringify(value, null, 2).split('\n');
}

/** Rows of [left, right]: each side {n, text, kind: same|removed|added|empty}. */
export function alignedRows(before, after) {
  const rows = [];
  let left = 1;
  let right = 1;
  const text = (value) => { const l = lines(value); return l.length ? l.join('\n') + '\n' : ''; };
  const parts = diffLines(text(before), text(after));
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const text = part.value.replace(/\n$/, '').split('\n');
    if (!part.added && !part.removed) {
      for (const t of text) rows.push([{ n: left++, text: t, kind: 'same' }, { n: right++, text: t, kind: 'same' }]);
    } else if (part.removed && parts[i + 1] && parts[i + 1].added) {
      const added = parts[++i].value.replace(/\n$/, '').split('\n');
      for (let k = 0; k < Math.max(text.length, added.length); k++) {
        rows.push([
          k < text.length ? { n: left++, text: text[k], kind: 'removed', pair: added[k] } : { kind: 'empty' },
          k < added.length ? { n: right++, text: added[k], kind: 'added', pair: text[k] } : { kind: 'empty' },
        ]);
      }
    } else if (part.removed) {
      for (const t of text) rows.push([{ n: left++, text: t, kind: 'removed' }, { kind: 'empty' }]);
    } else {
      for (const t of text) rows.push([{ kind: 'empty' }, { n: right++, text: t, kind: 'added' }]);
    }
  }
  return rows;
}

function content(side) {
  if (side.pair === undefined) return side.text;
  // a line changed in place: mark the words that differ
  const words = side.kind === 'removed' ? diffWordsWithSpace(side.text, side.pair) : diffWordsWithSpace(side.pair, side.text);
  return words
    .filter((w) => (side.kind === 'removed' ? !w.added : !w.removed))
    .map((w) => (w.added || w.removed ? h('mark', { class: side.kind === 'removed' ? 'word-removed' : 'word-added' }, w.value) : w.value));
}

/** The diff as a table: line numbers and text of each side. */
export function diffTable(before, after, leftTitle, rightTitle) {
  const rows = alignedRows(before, after);
  const changed = rows.some(([l, r]) => l.kind !== 'same' || r.kind !== 'same');
  const body = h('tbody', {}, rows.map(([l, r]) => h('tr', {},
    h('td', { class: 'ln' }, l.n || ''), h('td', { class: 'code ' + l.kind }, l.kind === 'empty' ? '' : content(l)),
    h('td', { class: 'ln' }, r.n || ''), h('td', { class: 'code ' + r.kind }, r.kind === 'empty' ? '' : content(r)))));
  return h('div', { class: 'diff-wrap' },
    changed ? null : h('p', { class: 'empty' }, 'No difference.'),
    h('table', { class: 'diff-table' },
      h('colgroup', {}, h('col', { class: 'ln' }), h('col', {}), h('col', { class: 'ln' }), h('col', {})),
      h('thead', {}, h('tr', {}, h('th', { colspan: 2 }, leftTitle), h('th', { colspan: 2 }, rightTitle))),
      body));
}
