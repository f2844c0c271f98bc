import { bundleChild } from '../helpers/child-bundle.ts';
let t = Date.now();
const f = await bundleChild('tests/backup/fixtures/backup-child.ts');
console.log('bundle', Date.now() - t, f);
t = Date.now();
await bundleChild('tests/backup/fixtures/backup-child.ts');
console.log('cached', Date.now() - t);
