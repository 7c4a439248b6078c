/** `npm start`: the same as `roster serve`. */
import { main } from './cli/main.js';

process.exitCode = await main(['serve', ...process.argv.slice(2)]);
