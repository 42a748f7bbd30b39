// The console's API with the token as a Bearer header (kept in sessionStorage, never in a cookie, so another site
// cannot make the browser act for the user), and the live change stream.

export const session = { token: sessionStorage.getItem('cm-token') };

export async function api(method, path, body, ifMatch) {
  const headers = {};
  if (session.token) headers['Authorization'] = 'Bearer ' + session.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch !== undefined) headers['If-Match'] = '"' + ifMatch + '"';
  const response = await fetch(path, { method, headers, body });
  const raw = await response.text();
  let json = null;
  try { json = raw ? JSON.parse(raw) : null; } catch (e) { json = null; }
  return { status: response.status, ok: response.ok, json };
}

export function errorText(result) {
  const error = result.json && result.json.error;
  return error ? error.code + ': ' + error.message : 'HTTP ' + result.status;
}

/**
 * Follows GET /api/events (Server-Sent Events read through fetch, which, unlike EventSource, can send the token):
 * calls onChange(kinds) when the server says what changed. Reconnects when the stream ends; while the server has no
 * stream to spare, asks every few seconds instead.
 */
export function followChanges(onChange, onState) {
  let stopped = false;
  let controller = null;
  // a hidden tab gives its stream back (a browser holds few connections per host, the server few streams)
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && controller) controller.abort();
  });
  const run = async () => {
    while (!stopped) {
      if (document.hidden) {
        onState('paused');
        await new Promise((resolve) => document.addEventListener('visibilitychange', resolve, { once: true }));
        continue;
      }
      try {
        const headers = session.token ? { Authorization: 'Bearer ' + session.token } : {};
        controller = new AbortController();
        const response = await fetch('/api/events', { headers, signal: controller.signal });
        if (!response.ok || !response.body) {
          onState('polling');
          onChange(['services', 'clients']);
          await sleep(5000);
          continue;
        }
        onState('live');
        onChange(['services', 'clients']); // whatever changed while it was not connected
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = message.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (data) {
              try { onChange(JSON.parse(data).changed || []); } catch (e) { /* not ours */ }
            }
          }
        }
      } catch (e) {
        onState('reconnecting');
      }
      await sleep(1000);
    }
  };
  run();
  return () => { stopped = true; };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
