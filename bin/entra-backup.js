#!/usr/bin/env -S node --disable-warning=DEP0111
// The CLI entry: runs the TypeScript sources through tsx's loader (no separate build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
