// Removes characters that have no place in a command or on a card: C0/C1 controls, zero-width
// and bidirectional controls (used to disguise names). Tabs and newlines become `keepAs`.
function isUnsafe(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2064) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

export function stripUnsafeCharacters(text: string, replacement = ' '): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (!isUnsafe(code)) out += ch;
    else if (code === 0x0a && replacement === '\n') out += '\n';
    else out += replacement === '\n' ? '' : replacement;
  }
  return out;
}
