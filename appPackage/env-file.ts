// Reads Microsoft 365 Agents Toolkit environment files (env/.env.<name> and its .user sibling
// holding SECRET_* values) and fills `${{NAME}}` placeholders the way the toolkit does.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Parses KEY=VALUE lines; '#' starts a comment line; surrounding quotes are removed. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}: expected NAME=value, got "${line}"`);
    let value = match[2];
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    values[match[1]] = value;
  }
  return values;
}

/**
 * The values of an environment: `env/.env.<name>`, then `env/.env.<name>.user`, then the process
 * environment (so CI can set them without files). Missing files are fine; the caller checks names.
 */
export function loadToolkitEnv(
  envName: string,
  envDir: string,
  processEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  if (!/^[A-Za-z0-9_-]+$/.test(envName))
    throw new Error(`environment name "${envName}" must be letters, digits, - or _`);
  const values: Record<string, string> = {};
  for (const file of [join(envDir, `.env.${envName}`), join(envDir, `.env.${envName}.user`)]) {
    if (!existsSync(file)) continue;
    try {
      Object.assign(values, parseEnvFile(readFileSync(file, 'utf8')));
    } catch (error) {
      throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const [key, value] of Object.entries(processEnv)) {
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names of the `${{NAME}}` placeholders in a template, in order of first use. */
export function placeholderNames(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/**
 * Replaces every `${{NAME}}`. A name that is missing, or empty and not in `mayBeEmpty`, is an
 * error listing every such name, so one run tells the admin everything that is still unset.
 */
export function fillPlaceholders(
  template: string,
  values: Record<string, string>,
  mayBeEmpty: ReadonlySet<string> = new Set(),
): string {
  const unset = placeholderNames(template).filter((name) => !values[name] && !mayBeEmpty.has(name));
  if (unset.length > 0) {
    throw new Error(
      `unset environment variable${unset.length > 1 ? 's' : ''} ${unset.join(', ')} ` +
        '(written by `atk provision`, or set them in env/.env.<env> or the environment)',
    );
  }
  return template.replace(PLACEHOLDER, (_all, name: string) => values[name] ?? '');
}
