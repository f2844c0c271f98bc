// The HTML pages of the local token issuer: sign-in (pick a dev user), admin consent
// (Accept / Cancel), errors, and form_post responses. Minimal, accessible, no scripts.

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
main{max-width:440px;margin:48px auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 16px}
.banner{font-size:13px;color:#555;margin-bottom:16px}
.error{color:#a4262c;margin:8px 0}
label{display:block;margin:12px 0 4px}
input[type=text]{width:100%;box-sizing:border-box;padding:6px 8px;font-size:15px;border:0;border-bottom:1px solid #666}
button{font-size:15px;padding:6px 20px;margin:16px 8px 0 0;cursor:pointer}
button.primary{background:#0067b8;color:#fff;border:1px solid #0067b8}
ul{padding-left:20px}
.users button{margin:4px 0;padding:4px 10px;background:#fff;border:1px solid #8a8a8a;text-align:left;width:100%}
</style></head><body><main>
<div class="banner">Entra Backup dev tenant: local sign-in (not Microsoft)</div>
${body}
</main></body></html>`;
}

function hiddenFields(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
}

export interface SignInPageInput {
  appName: string;
  tenantLabel: string;
  action: string;
  fields: Record<string, string | undefined>;
  loginHint?: string;
  users: { displayName: string; userPrincipalName: string }[];
  error?: string;
}

export function signInPage(input: SignInPageInput): string {
  const users = input.users.length
    ? `<p>Or pick a dev user:</p><div class="users">${input.users
        .map(
          (u) =>
            `<form method="post" action="${escapeHtml(input.action)}">${hiddenFields({ ...input.fields, login: u.userPrincipalName })}<button type="submit">${escapeHtml(u.displayName)} &lt;${escapeHtml(u.userPrincipalName)}&gt;</button></form>`,
        )
        .join('\n')}</div>`
    : '';
  return layout(
    'Sign in to your account',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(input.appName)}</strong> (${escapeHtml(input.tenantLabel)})</p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="${escapeHtml(input.action)}">
${hiddenFields(input.fields)}
<label for="login">Email or user principal name</label>
<input type="text" id="login" name="login" autocomplete="username" value="${escapeHtml(input.loginHint ?? '')}" required>
<button class="primary" type="submit">Sign in</button>
</form>
${users}`,
  );
}

export interface ConsentPageInput {
  appName: string;
  tenantLabel: string;
  action: string;
  fields: Record<string, string | undefined>;
  permissions: string[];
  askLogin: boolean;
  error?: string;
}

export function consentPage(input: ConsentPageInput): string {
  const permissions = input.permissions.length
    ? `<ul>${input.permissions.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`
    : '<p>(no Microsoft Graph permissions)</p>';
  return layout(
    'Permissions requested',
    `<h1>Permissions requested</h1>
<p><strong>${escapeHtml(input.appName)}</strong> needs permission to access resources in your organization (${escapeHtml(input.tenantLabel)}) that only an admin can grant:</p>
${permissions}
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="${escapeHtml(input.action)}">
${hiddenFields(input.fields)}
${input.askLogin ? '<label for="login">Admin account (decides the tenant)</label><input type="text" id="login" name="login" autocomplete="username" required>' : ''}
<button class="primary" type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="cancel" formnovalidate>Cancel</button>
</form>`,
  );
}

export function signedOutPage(): string {
  return layout(
    'Signed out',
    '<h1>You signed out of your account</h1><p>It is a good idea to close all browser windows.</p>',
  );
}

export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1><p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}

/** response_mode=form_post: the browser posts the result to the redirect URI. */
export function formPostPage(redirectUri: string, fields: Record<string, string | undefined>): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Working...</title></head>
<body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(redirectUri)}">${hiddenFields(fields)}
<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
}
