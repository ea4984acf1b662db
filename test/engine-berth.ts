// The berth CLI from this build, for end-to-end tests: `node engine-berth.js ARGS`. conmon's
// exit command re-runs this same file, so cleanup uses the build under test.
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
