// What the full CLI bundle runs (dist/cli/berth.cjs): every verb. A verb's own bundle
// (dist/cli/verbs/VERB.cjs) runs the same over its one verb (scripts/bundle-cli.mjs).
// Kept apart from main.ts so tests can import main() without side effects.
import { runProcess } from './cli.js';
import { verbTable } from './main.js';

runProcess(verbTable());
