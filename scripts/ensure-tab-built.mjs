// Before `npm start`: build the tab (tab/dist) when it is missing or older than its sources,
// so `npm install && npm start` on a fresh clone serves the real dashboard.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const built = path.join(root, 'tab', 'dist', 'index.html');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

let builtAt = 0;
try {
  builtAt = statSync(built).mtimeMs;
} catch {}
if (builtAt > newest(path.join(root, 'tab'))) process.exit(0);

console.log(builtAt ? 'tab sources changed: rebuilding the tab' : 'building the tab (first start)');
const result = spawnSync('npx', ['vite', 'build', '--config', 'tab/vite.config.ts', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
