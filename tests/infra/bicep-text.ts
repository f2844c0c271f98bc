// A careful text reading of the Bicep files (there is no az/bicep CLI here): params, outputs,
// and the keys and values of the object literals that become App Service app settings.

export interface BicepParam {
  name: string;
  type: string;
  hasDefault: boolean;
  secure: boolean;
}

/** Strips // line comments (outside strings), keeping line structure. */
export function stripComments(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let quoted = false;
      for (let i = 0; i < line.length; i++) {
        if (line[i] === "'") quoted = !quoted;
        if (!quoted && line[i] === '/' && line[i + 1] === '/') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

export function bicepParams(text: string): BicepParam[] {
  const lines = stripComments(text).split('\n');
  const params: BicepParam[] = [];
  for (const [index, line] of lines.entries()) {
    const match = /^param\s+([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z]+)(\s*=.*)?$/.exec(line.trim());
    if (!match) continue;
    let secure = false;
    // Decorators spanning lines (@allowed([...])) sit above; scan back until the previous statement.
    for (let i = index - 1; i >= 0; i--) {
      const prev = lines[i].trim();
      if (prev.startsWith('param ') || prev.startsWith('var ') || prev.startsWith('resource ')) break;
      if (prev.includes('@secure()')) secure = true;
    }
    params.push({ name: match[1], type: match[2], hasDefault: Boolean(match[3]), secure });
  }
  return params;
}

export function bicepOutputs(text: string): { name: string; type: string }[] {
  return [...stripComments(text).matchAll(/^output\s+([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z]+)\s*=/gm)].map(
    (m) => ({
      name: m[1],
      type: m[2],
    }),
  );
}

/** The balanced `{ ... }` starting at the first `{` at or after `from`. */
export function objectLiteralAt(text: string, from: number): string {
  const start = text.indexOf('{', from);
  if (start < 0) throw new Error(`no object literal after offset ${from}`);
  let depth = 0;
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === '{') depth++;
    if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced object literal at offset ${start}`);
}

/** The balanced `( ... )` starting at the first `(` at or after `from`. */
export function callAt(text: string, from: number): string {
  const start = text.indexOf('(', from);
  let depth = 0;
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    if (quoted) continue;
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced call at offset ${start}`);
}

/**
 * Top-level `KEY: value` pairs of every object literal in `text` whose keys are UPPER_CASE
 * (app settings); values are the raw Bicep expressions ('literal' strings keep their quotes).
 */
export function settingEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const match of text.matchAll(/^\s*([A-Za-z][A-Za-z0-9_]*)\s*:\s*(.+)$/gm)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(match[1]) && !/^[A-Z][A-Za-z]+_[A-Z_]+$/.test(match[1])) continue;
    entries.set(match[1], match[2].trim());
  }
  return entries;
}

/** A literal Bicep string value without its quotes, or undefined for an expression. */
export function literal(value: string): string | undefined {
  const match = /^'([^'$]*)'$/.exec(value);
  return match ? match[1] : undefined;
}

/** Keys written at the top level of an object literal (`{ ... }` text), quoted keys unquoted. */
export function topLevelKeys(objectText: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let quoted = false;
  for (const line of objectText.split('\n')) {
    const key = depth === 1 ? /^\s*(?:'([^']+)'|([A-Za-z_][A-Za-z0-9_]*))\s*:/.exec(line) : null;
    if (key) keys.push(key[1] ?? key[2]);
    for (const c of line) {
      if (c === "'") quoted = !quoted;
      if (quoted) continue;
      if ('{[('.includes(c)) depth++;
      if ('}])'.includes(c)) depth--;
    }
  }
  return keys;
}

export interface ModuleCall {
  symbol: string;
  path: string;
  params: string[];
}

/** `module sym 'path' = { params: { ... } }` declarations and the param names each passes. */
export function moduleCalls(text: string): ModuleCall[] {
  return [...text.matchAll(/^module\s+(\w+)\s+'([^']+)'\s*=\s*\{/gm)].map((m) => {
    const body = objectLiteralAt(text, m.index);
    const paramsAt = body.search(/^\s*params\s*:/m);
    return {
      symbol: m[1],
      path: m[2],
      params: paramsAt < 0 ? [] : topLevelKeys(objectLiteralAt(body, paramsAt)),
    };
  });
}

/** `resource sym 'Type@version'` declarations (including `existing` ones). */
export function resourceDeclarations(text: string): { symbol: string; type: string; apiVersion: string }[] {
  return [...text.matchAll(/^resource\s+(\w+)\s+'([^'@]+)@([^']+)'/gm)].map((m) => ({
    symbol: m[1],
    type: m[2],
    apiVersion: m[3],
  }));
}

/**
 * Params declared but never read: a use is the bare identifier anywhere except as an object key
 * at the start of a line (`name: name` counts once, as a use) or after a dot (`x.outputs.name`).
 */
export function unusedParams(text: string): string[] {
  const body = text
    .split('\n')
    .filter((line) => !/^param\s/.test(line.trim()))
    .map((line) => line.replace(/^(\s*)(?:'[^']*'|[A-Za-z_][A-Za-z0-9_]*)\s*:/, '$1'))
    .join('\n');
  return bicepParams(text)
    .map((p) => p.name)
    .filter((name) => !new RegExp(`(?<![.\\w])${name}(?![\\w])`).test(body));
}
