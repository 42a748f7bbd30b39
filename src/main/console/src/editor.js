// The JSON editor: CodeMirror 6 with JSON syntax, the service's schema for completion and hover, and diagnostics at
// the failing line: JSON syntax errors found here, schema errors as the server's validation reports them (the same
// check a save goes through), each placed on the value its path names.

import { Annotation, EditorState, Compartment } from '@codemirror/state';
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection, hoverTooltip,
  Decoration, MatchDecorator, ViewPlugin,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { syntaxHighlighting, syntaxTree, bracketMatching, indentOnInput, foldGutter } from '@codemirror/language';
import { json } from '@codemirror/lang-json';
import { linter, lintGutter, forceLinting } from '@codemirror/lint';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { classHighlighter } from '@lezer/highlight';
import { propertiesAt, schemasAt, summary } from './schema.js';
import { h } from './dom.js';

const MASK = '"********"';
/** The page load's style nonce, carried by this script's own element (a nonce attribute no selector can read). */
const STYLE_NONCE = (document.currentScript && document.currentScript.nonce) || '';
/** Marks a change that loads a stored config, not an edit by the operator. */
const loading = Annotation.define();

/** The value path (keys and indices) of the node at `node`, from the root of the document. */
function pathOf(state, node) {
  const path = [];
  for (let n = node; n && n.parent; n = n.parent) {
    const parent = n.parent;
    if (parent.name === 'Property' && n.name !== 'PropertyName') {
      const name = parent.getChild('PropertyName');
      if (name) path.unshift(unquote(state.sliceDoc(name.from, name.to)));
    } else if (parent.name === 'Array') {
      let index = 0;
      for (let c = parent.firstChild; c && c.from < n.from; c = c.nextSibling) {
        if (!['[', ']', ','].includes(c.name) && c.name !== '⚠') index++;
      }
      path.unshift(index);
    }
  }
  return path;
}

function unquote(text) {
  try { return JSON.parse(text); } catch (e) { return text.replace(/^"|"$/g, ''); }
}

/** The range of the value a JSON pointer names in the document, or of the nearest enclosing one that exists. */
export function rangeOfPointer(state, pointer) {
  const segments = pointer === '' || pointer === '/' ? [] : pointer.split('/').slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = syntaxTree(state).topNode.firstChild;
  let property = null;
  for (const segment of segments) {
    if (!node) break;
    let next = null;
    if (node.name === 'Object') {
      for (let p = node.getChild('Property'); p; p = p.nextSibling) {
        if (p.name !== 'Property') continue;
        const name = p.getChild('PropertyName');
        if (name && unquote(state.sliceDoc(name.from, name.to)) === segment) {
          property = p;
          next = p.lastChild;
          break;
        }
      }
    } else if (node.name === 'Array') {
      let index = 0;
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (['[', ']', ','].includes(c.name)) continue;
        if (String(index) === segment) { next = c; property = null; break; }
        index++;
      }
    }
    if (!next) break;
    node = next;
  }
  if (!node) return { from: 0, to: Math.min(1, state.doc.length) };
  // a whole object or array is marked at its first line only
  if (node.name === 'Object' || node.name === 'Array') {
    const start = property || node;
    return { from: start.from, to: Math.min(state.doc.lineAt(start.from).to, start.to) };
  }
  return { from: property ? property.from : node.from, to: node.to };
}

/** Where JSON.parse stopped, from its message (Chrome: "at position N" or "(line L column C)"). */
function parseErrorAt(state, message) {
  const position = /position (\d+)/.exec(message);
  if (position) return Math.min(Number(position[1]), state.doc.length);
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) {
    const line = state.doc.line(Math.min(Number(lineCol[1]), state.doc.lines));
    return Math.min(line.from + Number(lineCol[2]) - 1, line.to);
  }
  return state.doc.length;
}

const secretMarks = new MatchDecorator({
  regexp: /"\*{8}"/g,
  decoration: Decoration.mark({
    class: 'cm-secret',
    attributes: { title: 'a secret, masked: kept as stored unless you replace it' },
  }),
});

const secrets = ViewPlugin.fromClass(class {
  constructor(view) { this.decorations = secretMarks.createDeco(view); }
  update(update) { this.decorations = secretMarks.updateDeco(update, this.decorations); }
}, { decorations: (v) => v.decorations });

/**
 * @param host      element the editor goes into
 * @param options   { validate(text) → Promise<problems[]> ({path, message}), onChange(text), onSave(), onProblems(list) }
 */
export function createEditor(host, options) {
  let schema = null;
  const schemaSlot = new Compartment();

  const completions = (context) => {
    if (!schema) return null;
    const node = syntaxTree(context.state).resolveInner(context.pos, -1);
    const word = context.matchBefore(/"?[^"{}[\]:,\s]*/);
    let object = null;
    if (node.name === 'PropertyName') object = node.parent && node.parent.parent;
    else if (node.name === 'Object') object = node;
    else if (node.name === '{' || node.name === ',') object = node.parent;
    else if (node.name === '⚠' && node.parent && node.parent.name === 'Object') object = node.parent;
    if (object && object.name === 'Object') {
      const path = pathOf(context.state, object);
      const present = new Set();
      for (let p = object.getChild('Property'); p; p = p.nextSibling) {
        const name = p.name === 'Property' && p.getChild('PropertyName');
        if (name && name !== node) present.add(unquote(context.state.sliceDoc(name.from, name.to)));
      }
      // inside a name already quoted (the closing quote typed or inserted): complete the text between the quotes
      const quoted = word && word.text.startsWith('"');
      const closed = context.state.sliceDoc(context.pos, context.pos + 1) === '"';
      const options = [];
      for (const [name, sub] of propertiesAt(schema, path)) {
        if (present.has(name)) continue;
        const about = summary(schema, [sub]);
        options.push({
          label: name,
          apply: quoted ? JSON.stringify(name).slice(1, -1) + (closed ? '' : '"') : JSON.stringify(name),
          type: 'property',
          detail: about.type || '',
          info: about.description || about.title || undefined,
        });
      }
      if (!options.length) return null;
      return { from: quoted ? word.from + 1 : word ? word.from : context.pos, options, validFor: /^[\w$-]*$/ };
    }
    // a value: the values its schema allows
    const property = node.parent && node.parent.name === 'Property' ? node.parent : node.name === 'Property' ? node : null;
    if (property && property.getChild('PropertyName')) {
      const name = property.getChild('PropertyName');
      if (context.pos <= name.to) return null;
      const path = [...pathOf(context.state, property), unquote(context.state.sliceDoc(name.from, name.to))];
      const about = summary(schema, schemasAt(schema, path));
      const values = about.enum || (about.type === 'boolean' ? [true, false] : null);
      if (!values) return null;
      // inside a string the editor closed already, the closing quote is there: the value goes in without it
      const closedAfter = context.state.sliceDoc(context.pos, context.pos + 1) === '"';
      return {
        from: word ? word.from : context.pos,
        options: values.map((v) => {
          const text = JSON.stringify(v);
          const inString = word && word.text.startsWith('"') && closedAfter && text.endsWith('"');
          return { label: text, apply: inString ? text.slice(0, -1) : text, type: 'constant', info: about.description };
        }),
      };
    }
    return null;
  };

  const hover = hoverTooltip((view, pos) => {
    if (!schema) return null;
    const node = syntaxTree(view.state).resolveInner(pos, 1);
    const name = node.name === 'PropertyName' ? node : null;
    if (!name) return null;
    const path = [...pathOf(view.state, name.parent), unquote(view.state.sliceDoc(name.from, name.to))];
    const about = summary(schema, schemasAt(schema, path));
    if (!about.type && !about.description && !about.title) return null;
    return {
      pos: name.from,
      end: name.to,
      above: true,
      create() {
        const facts = [];
        if (about.type) facts.push(about.type);
        if (about.minimum !== undefined || about.maximum !== undefined) {
          facts.push((about.minimum ?? '…') + ' to ' + (about.maximum ?? '…'));
        }
        if (about.default !== undefined) facts.push('default ' + JSON.stringify(about.default));
        if (about.secret) facts.push('secret');
        const dom = h('div', { class: 'schema-hover' },
          h('strong', {}, about.title || String(path[path.length - 1])),
          facts.length ? h('div', { class: 'meta' }, facts.join(' · ')) : null,
          about.description ? h('p', {}, about.description) : null,
          about.enum ? h('div', { class: 'meta' }, 'one of ' + about.enum.map((v) => JSON.stringify(v)).join(', ')) : null);
        return { dom };
      },
    };
  });

  const diagnostics = linter(async (view) => {
    const state = view.state;
    const text = state.doc.toString();
    try {
      JSON.parse(text);
    } catch (e) {
      const at = parseErrorAt(state, e.message);
      const problems = [{ path: '', message: 'JSON: ' + e.message }];
      options.onProblems(problems);
      return [{ from: at, to: Math.min(at + 1, state.doc.length), severity: 'error', message: e.message }];
    }
    const problems = await options.validate(text);
    if (view.state.doc.toString() !== text) return []; // edited meanwhile: the next run tells
    options.onProblems(problems);
    return problems.map((p) => {
      const range = rangeOfPointer(view.state, p.path || '');
      return { ...range, severity: 'error', message: (p.path || '/') + ': ' + p.message };
    });
  }, { delay: 300 });

  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: '{\n}',
      extensions: [
        lineNumbers(), foldGutter(), highlightActiveLineGutter(), history(), drawSelection(), indentOnInput(),
        bracketMatching(), closeBrackets(), highlightActiveLine(), json(), syntaxHighlighting(classHighlighter),
        lintGutter(), diagnostics, autocompletion({ override: [completions], icons: false }), hover, secrets,
        schemaSlot.of([]),
        keymap.of([
          { key: 'Mod-s', preventDefault: true, run: () => { options.onSave(); return true; } },
          ...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab,
        ]),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !update.transactions.some((t) => t.annotation(loading))) {
            options.onChange(update.state.doc.toString());
          }
        }),
        EditorView.contentAttributes.of({ 'aria-label': 'config (JSON)' }),
        // the page's Content-Security-Policy lets the editor's own <style> element in by this nonce only
        EditorView.cspNonce.of(STYLE_NONCE),
      ],
    }),
  });

  return {
    view,
    text: () => view.state.doc.toString(),
    load(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, annotations: loading.of(true) });
      forceLinting(view);
    },
    setSchema(next) {
      schema = next;
      view.dispatch({ effects: schemaSlot.reconfigure([]) });
      forceLinting(view);
    },
    focus: () => view.focus(),
  };
}

export { MASK };
