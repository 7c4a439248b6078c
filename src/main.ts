/** `npm start`: serve on HOST:PORT; on first start with an empty database, create an admin and print its key. */
import { ConfigError, loadConfig } from './config.js';
import { serve } from './cli/serve.js';

try {
  await serve(loadConfig());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`roster: configuration error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
