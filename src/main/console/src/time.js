// One way to show a time everywhere: relative ("3 min ago"), with the exact UTC time on hover. The relative texts
// are kept current by one ticker.

import { h } from './dom.js';

export function utc(date) {
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function relative(date, now = Date.now()) {
  const s = Math.round((now - date.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return s + ' s ago';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ago';
  const hours = Math.floor(m / 60);
  if (hours < 48) return hours + ' h ago';
  return Math.floor(hours / 24) + ' d ago';
}

/** An ISO string or epoch seconds as a <time> element. */
export function timeEl(value) {
  if (value === undefined || value === null || value === '') return '';
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (isNaN(date.getTime())) return String(value);
  return h('time', { datetime: date.toISOString(), title: utc(date), 'data-rel': '' }, relative(date));
}

export function startTicker() {
  setInterval(() => {
    for (const t of document.querySelectorAll('time[data-rel]')) {
      t.textContent = relative(new Date(t.getAttribute('datetime')));
    }
  }, 15000);
}
