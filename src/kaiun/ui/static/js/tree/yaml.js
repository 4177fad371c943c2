// JSON value → YAML text, for reading manifests and diffing them line by line.
// Keys are sorted (apiVersion, kind, metadata, spec first) so that live and desired
// objects line up whatever order the server or Git used. Pure; no DOM.

const FIRST = ['apiVersion', 'kind', 'metadata', 'spec'];

function keyOrder(a, b) {
  const ia = FIRST.indexOf(a);
  const ib = FIRST.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

// Strings YAML would read as something else (numbers, booleans, null) or that contain
// syntax characters are written as JSON strings, which are valid YAML.
const PLAIN = /^[A-Za-z0-9_./@-][A-Za-z0-9_ ./@:()+=-]*$/;
const TYPED = /^(true|false|yes|no|on|off|y|n|null|~|[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.inf|\.nan)$/i;

function scalar(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    if (value === '' || !PLAIN.test(value) || TYPED.test(value) || value.endsWith(' ') || value.includes(': ')) {
      return JSON.stringify(value);
    }
    return value;
  }
  return String(value);
}

function isEmpty(value) {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

function emit(value, indent, out) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) {
        const sub = [];
        emit(item, indent + 2, sub);
        // The first line of the item goes after the dash.
        out.push(`${pad}- ${sub[0].slice(indent + 2)}`, ...sub.slice(1));
      } else {
        out.push(`${pad}- ${block(item, indent + 2)}`);
      }
    }
    return;
  }
  for (const key of Object.keys(value).sort(keyOrder)) {
    const item = value[key];
    const k = scalar(key);
    if (item !== null && typeof item === 'object' && !isEmpty(item)) {
      out.push(`${pad}${k}:`);
      emit(item, Array.isArray(item) ? indent : indent + 2, out);
    } else {
      out.push(`${pad}${k}: ${block(item, indent + 2)}`);
    }
  }
}

function block(item, indent) {
  if (item !== null && typeof item === 'object') return Array.isArray(item) ? '[]' : '{}';
  if (typeof item === 'string' && item.includes('\n')) {
    // Literal block keeps multi-line values (scripts, config files) readable and diffable.
    const pad = ' '.repeat(indent);
    const body = item.replace(/\n$/, '').split('\n').map((l) => (l ? pad + l : ''));
    return [item.endsWith('\n') ? '|' : '|-', ...body].join('\n');
  }
  return scalar(item);
}

/** YAML text of a JSON value ('' for null/undefined). */
export function toYaml(value) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return `${scalar(value)}\n`;
  if (isEmpty(value)) return Array.isArray(value) ? '[]\n' : '{}\n';
  const out = [];
  emit(value, 0, out);
  return `${out.join('\n')}\n`;
}

/** Parse a JSON string from the API ('null' / '' → null). */
export function parseState(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
