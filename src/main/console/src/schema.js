// Just enough of JSON Schema for the editor's help: which subschema applies at a path of a config (properties,
// pattern and additional properties, items and prefix items, local $ref, and the branches of allOf/anyOf/oneOf).

function deref(root, schema, seen = 0) {
  if (!schema || typeof schema !== 'object' || seen > 20) return schema;
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#/')) {
    let target = root;
    for (const part of schema.$ref.slice(2).split('/')) {
      target = target && target[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return deref(root, target, seen + 1);
  }
  return schema;
}

/** The schema and every branch it combines, resolved. */
function branches(root, schema) {
  const out = [];
  const seen = new Set(); // a schema that refers to itself is visited once
  const visit = (s, depth) => {
    s = deref(root, s);
    if (!s || typeof s !== 'object' || depth > 8 || seen.has(s)) return;
    seen.add(s);
    out.push(s);
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      if (Array.isArray(s[key])) s[key].forEach((b) => visit(b, depth + 1));
    }
  };
  visit(schema, 0);
  return out;
}

/** The subschemas that apply at `path` (keys and array indices from the root). */
export function schemasAt(root, path) {
  let current = root ? [root] : [];
  for (const segment of path) {
    const next = [];
    for (const s of current.flatMap((c) => branches(root, c))) {
      if (typeof segment === 'number') {
        if (Array.isArray(s.prefixItems) && segment < s.prefixItems.length) next.push(s.prefixItems[segment]);
        else if (s.items && typeof s.items === 'object') next.push(s.items);
      } else {
        if (s.properties && s.properties[segment]) next.push(s.properties[segment]);
        else {
          let matched = false;
          for (const [pattern, sub] of Object.entries(s.patternProperties || {})) {
            // the server bounds a schema's patterns; here a long one is not tried (its field gets no help)
            if (pattern.length > 200 || segment.length > 200) continue;
            try { if (new RegExp(pattern, 'u').test(segment)) { next.push(sub); matched = true; } } catch (e) { /* skip */ }
          }
          if (!matched && s.additionalProperties && typeof s.additionalProperties === 'object') {
            next.push(s.additionalProperties);
          }
        }
      }
    }
    current = [...new Set(next)];
  }
  return [...new Set(current.flatMap((c) => branches(root, c)))];
}

/** The properties an object at `path` may have: name → subschema (the first that names it). */
export function propertiesAt(root, path) {
  const props = new Map();
  for (const s of schemasAt(root, path)) {
    for (const [name, sub] of Object.entries(s.properties || {})) {
      if (!props.has(name)) props.set(name, deref(root, sub));
    }
  }
  return props;
}

/** What to tell about a subschema: its type, description, default and allowed values. */
export function summary(root, schemas) {
  const all = schemas.flatMap((s) => branches(root, s));
  const pick = (key) => all.map((s) => s[key]).find((v) => v !== undefined);
  const type = pick('type');
  return {
    title: pick('title'),
    description: pick('description'),
    type: Array.isArray(type) ? type.join(' | ') : type,
    enum: pick('enum') || (pick('const') !== undefined ? [pick('const')] : undefined),
    default: pick('default'),
    minimum: pick('minimum'),
    maximum: pick('maximum'),
    secret: all.some((s) => s.writeOnly === true),
  };
}
