// What bin/berth runs: the CLI's main with the process's arguments and exit code. Kept apart
// from main.ts so tests can import main() without side effects.
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`berth: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 125;
  },
);
