// The Microsoft 365 Agents SDK stays behind one module of bot/ (issue #4: swapping the SDK, as
// botbuilder had to be, touches one file).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

describe('the bot SDK boundary', () => {
  it('only bot/agents-sdk-adapter.ts imports @microsoft/agents-*', () => {
    const importers = ['bot', 'src', 'scripts', 'tab/src']
      .flatMap(sources)
      .filter((file) => /from\s+['"]@microsoft\/agents-/.test(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(importers).toEqual([path.join('bot', 'agents-sdk-adapter.ts')]);
  });
});
