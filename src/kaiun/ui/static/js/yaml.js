// A small YAML subset for "edit as YAML": block mappings and sequences, plain/quoted scalars,
// literal/folded block scalars, flow [] and {} of scalars, comments. No anchors, tags or
// multi-documents: anything outside the subset is a YAMLError with its line, never a guess.
// JSON text is accepted as it is (JSON is YAML).

export class YAMLError extends Error {
  constructor(message, line) {
    super(line ? `line ${line}: ${message}` : message);
    this.line = line;
  }
}

// -- parsing --------------------------------------------------------------------------------

function stripComment(text) {
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:[{,-]/.test(text[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

function lex(source) {
  const lines = [];
  source.replace(/\r\n?/g, '\n').split('\n').forEach((raw, i) => {
    if (/^\t/.test(raw)) throw new YAMLError('tabs are not allowed for indentation', i + 1);
    lines.push({raw, no: i + 1, indent: raw.length - raw.trimStart().length});
  });
  return lines;
}

// Integers and decimal floats; like PyYAML, "1e3" without a dot stays a string.
const NUMBER = /^[-+]?(\d+|\d*\.\d+(e[-+]?\d+)?)$/i;

function scalar(text, no) {
  const s = text.trim();
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^(true|True|TRUE)$/.test(s)) return true;
  if (/^(false|False|FALSE)$/.test(s)) return false;
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new YAMLError('unterminated "string"', no);
    try {
      return JSON.parse(s);
    } catch {
      throw new YAMLError(`bad double-quoted string ${s}`, no);
    }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new YAMLError("unterminated 'string'", no);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[') || s.startsWith('{')) return flow(s, no);
  if (/^[&*!|>%@`]/.test(s)) throw new YAMLError(`unsupported YAML: ${s.slice(0, 20)}`, no);
  if (NUMBER.test(s) && !/^[-+]?0\d/.test(s)) return Number(s);
  return s;
}

// Whether a quoted scalar's text ends with its (unescaped) closing quote.
function closes(s) {
  const q = s[0];
  if (s.length < 2 || !s.endsWith(q)) return false;
  if (q === "'") return (s.slice(1).match(/'+$/)[0].length % 2) === 1;
  let backslashes = 0;
  for (let i = s.length - 2; i > 0 && s[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}

function splitFlow(body, no) {
  const parts = [];
  let depth = 0;
  let quote = null;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (quote || depth) throw new YAMLError('unbalanced flow collection', no);
  const last = body.slice(start);
  if (last.trim()) parts.push(last);
  return parts;
}

function flow(s, no) {
  try {
    return JSON.parse(s);
  } catch {
    // Not JSON: plain scalars inside.
  }
  const close = s.startsWith('[') ? ']' : '}';
  if (!s.endsWith(close)) throw new YAMLError(`unterminated flow collection ${s}`, no);
  const parts = splitFlow(s.slice(1, -1), no);
  if (close === ']') return parts.map((p) => scalar(p, no));
  const out = {};
  for (const p of parts) {
    const m = /^\s*("[^"]*"|'[^']*'|[^:]+?)\s*:(\s+(.*))?$/.exec(p);
    if (!m) throw new YAMLError(`bad flow mapping entry ${p.trim()}`, no);
    out[String(scalar(m[1], no))] = scalar(m[3] || '', no);
  }
  return out;
}

// A "key: value" line: the key (quoted or plain) and the rest.
function splitKey(text) {
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"[{][^#]*?)\s*:(?:\s+(.*)|$)/.exec(text);
  if (!m) return null;
  return {key: String(scalar(m[1])), rest: m[2] === undefined ? '' : m[2]};
}

class Parser {
  constructor(source) {
    this.lines = lex(source);
    this.i = 0;
  }

  // The next line with content (skipping blanks and comments), or null.
  peek() {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i];
      const text = stripComment(line.raw).trim();
      if (text && text !== '---') return {...line, text};
      if (text === '---' && this.i > 0 && this.seen) {
        throw new YAMLError('only one YAML document is supported', line.no);
      }
      this.i++;
    }
    return null;
  }

  parseDocument() {
    const first = this.peek();
    if (!first) return null;
    this.seen = true;
    const value = this.parseNode(first.indent);
    const extra = this.peek();
    if (extra) throw new YAMLError(`unexpected indentation or content: ${extra.text}`, extra.no);
    return value;
  }

  parseNode(indent) {
    const line = this.peek();
    if (!line || line.indent < indent) return null;
    if (line.text === '-' || line.text.startsWith('- ')) return this.parseSeq(line.indent);
    if (splitKey(line.text)) return this.parseMap(line.indent);
    this.i++;
    return scalar(line.text, line.no);
  }

  parseSeq(indent) {
    const out = [];
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (!(line.text === '-' || line.text.startsWith('- '))) break;
      const rest = line.text.slice(1).trimStart();
      if (!rest) {
        this.i++;
        out.push(this.parseNode(indent + 1));
      } else if (splitKey(rest) || rest === '-' || rest.startsWith('- ')) {
        // "- key: value" / "- - item": a collection indented past the dash.
        const inner = indent + (line.raw.trimStart().length - rest.length);
        this.lines[this.i] = {...this.lines[this.i], raw: ' '.repeat(inner) + rest, indent: inner};
        out.push(splitKey(rest) ? this.parseMap(inner) : this.parseSeq(inner));
      } else {
        this.i++;
        out.push(this.value(rest, line, indent));
      }
    }
    return out;
  }

  parseMap(indent) {
    const out = {};
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      const kv = splitKey(line.text);
      if (!kv) throw new YAMLError(`expected "key: value", got ${line.text}`, line.no);
      if (Object.prototype.hasOwnProperty.call(out, kv.key)) {
        throw new YAMLError(`duplicate key ${kv.key}`, line.no);
      }
      this.i++;
      if (kv.rest === '') {
        const next = this.peek();
        if (next && next.indent > indent) out[kv.key] = this.parseNode(next.indent);
        else if (next && next.indent === indent && (next.text === '-' || next.text.startsWith('- '))) {
          out[kv.key] = this.parseSeq(indent);
        } else out[kv.key] = null;
      } else {
        out[kv.key] = this.value(kv.rest, line, indent);
      }
    }
    return out;
  }

  // A quoted scalar continued on the next lines (as PyYAML writes long or multi-line
  // strings), folded into one line: a line break is a space, an empty line a newline.
  quotedLines(rest, line) {
    const q = rest.trim()[0];
    if ((q !== '"' && q !== "'") || closes(rest.trim())) return rest;
    let text = rest.trimEnd();
    let blank = false;
    while (this.i < this.lines.length) {
      const next = this.lines[this.i].raw.trim();
      this.i++;
      if (next === '') {
        text += q === '"' ? '\\n' : '\n';
        blank = true;
        continue;
      }
      text += blank ? next : ` ${next}`;
      blank = false;
      if (closes(text.trim())) return text;
    }
    throw new YAMLError(`unterminated ${q}string${q}`, line.no);
  }

  // An inline value after "key:" or "- ": a scalar or a block scalar (| or >).
  value(rest, line, indent) {
    const block = /^([|>])([-+]?)$/.exec(rest.trim());
    if (!block) return scalar(this.quotedLines(rest, line), line.no);
    const body = [];
    let blockIndent = null;
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.raw.trim() === '') {
        body.push('');
        this.i++;
        continue;
      }
      if (l.indent <= indent) break;
      if (blockIndent === null) blockIndent = l.indent;
      if (l.indent < blockIndent) break;
      body.push(l.raw.slice(blockIndent));
      this.i++;
    }
    while (body.length && body[body.length - 1] === '') body.pop();
    let text = block[1] === '|' ? body.join('\n') : body.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 ');
    if (block[2] !== '-' && text) text += '\n';
    return text;
  }
}

/** Parse YAML (the subset above) or JSON text into a value; throws YAMLError. */
export function parseYAML(source) {
  const trimmed = source.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch (err) {
      throw new YAMLError(`invalid JSON: ${err.message}`);
    }
  }
  return new Parser(source).parseDocument();
}

// -- dumping --------------------------------------------------------------------------------

function plainOk(s) {
  // Plain only when no YAML 1.1 or 1.2 reader could take it for anything but this string:
  // starts with a letter or "/", no ": ", no booleans/nulls of either version.
  return /^[A-Za-z/][A-Za-z0-9_./ @+=,:-]*$/.test(s) && !/[\s:]$/.test(s) &&
    !/^(true|false|null|yes|no|on|off|y|n)$/i.test(s) && !/: /.test(s);
}

function dumpScalar(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  const s = String(v);
  return plainOk(s) ? s : JSON.stringify(s);
}

function isEmpty(v) {
  return Array.isArray(v) ? v.length === 0 : v && typeof v === 'object' && !Object.keys(v).length;
}

function dumpBlock(s, pad) {
  const chomp = s.endsWith('\n') ? '' : '-';
  const body = (s.endsWith('\n') ? s.slice(0, -1) : s).split('\n');
  return `|${chomp}\n` + body.map((l) => (l ? pad + l : '')).join('\n');
}

function dumpValue(v, indent) {
  const pad = '  '.repeat(indent);
  if (Array.isArray(v)) {
    if (!v.length) return ' []';
    return '\n' + v.map((item) => {
      if (item && typeof item === 'object' && !isEmpty(item)) {
        const inner = dumpValue(item, indent + 1).replace(/^\n/, '');
        return `${pad}- ${inner.slice(pad.length + 2)}`;
      }
      return `${pad}-${dumpValue(item, indent + 1)}`;
    }).join('\n');
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length) return ' {}';
    return '\n' + keys.map((k) => `${pad}${dumpScalar(k)}:${dumpValue(v[k], indent + 1)}`).join('\n');
  }
  if (typeof v === 'string' && v.includes('\n')) return ' ' + dumpBlock(v, pad);
  return ' ' + dumpScalar(v);
}

/** YAML text for a JSON-compatible value (two-space indentation, block style). */
export function dumpYAML(value) {
  if (value === null || typeof value !== 'object') return dumpScalar(value) + '\n';
  if (isEmpty(value)) return (Array.isArray(value) ? '[]' : '{}') + '\n';
  return dumpValue(value, 0).replace(/^\n/, '') + '\n';
}
