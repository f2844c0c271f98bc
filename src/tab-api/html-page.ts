// Small server-rendered pages (consent result, sign-in errors, tab not built): clear text,
// readable in light and dark, with a way back to the tab. Every dynamic value is escaped.

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type PageTone = 'success' | 'error' | 'warning' | 'info';

const ICONS: Record<PageTone, string> = { success: '✓', error: '✕', warning: '!', info: 'i' };

/** `bodyHtml` must already be escaped by the caller (it may hold markup such as <code>). */
export function htmlPage(
  title: string,
  bodyHtml: string,
  tone: PageTone,
  link?: { href: string; label: string },
) {
  const action = link
    ? `<p><a class="button" href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Entra Backup</title>
<style>
:root{color-scheme:light dark;--bg:#f5f5f5;--card:#fff;--fg:#242424;--muted:#616161;--brand:#5b5fc7;--on-brand:#fff;--ok:#107c10;--err:#c50f1f;--warn:#bc4b09}
@media (prefers-color-scheme:dark){:root{--bg:#1f1f1f;--card:#292929;--fg:#fff;--muted:#d6d6d6;--brand:#7f85f5;--on-brand:#1f1f1f;--ok:#54b054;--err:#dc626d;--warn:#faa06b}}
body{margin:0;font-family:"Segoe UI",system-ui,-apple-system,sans-serif;background:var(--bg);color:var(--fg);display:grid;place-items:center;min-height:100vh}
main{background:var(--card);border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.14);padding:32px 40px;max-width:520px}
h1{font-size:20px;font-weight:600;margin:12px 0 8px}p{line-height:1.5;color:var(--muted)}
.icon{width:40px;height:40px;border-radius:50%;display:grid;place-items:center;color:#fff;font-weight:700;font-size:20px}
.success{background:var(--ok)}.error{background:var(--err)}.warning{background:var(--warn)}.info{background:var(--brand)}
a.button{display:inline-block;background:var(--brand);color:var(--on-brand);text-decoration:none;padding:6px 16px;border-radius:4px;font-weight:600}
code{font-family:Consolas,monospace}
</style></head>
<body><main role="main"><div class="icon ${tone}" aria-hidden="true">${ICONS[tone]}</div>
<h1>${escapeHtml(title)}</h1><p>${bodyHtml}</p>${action}</main></body></html>`;
}
