#!/usr/bin/env node
/* global process, console */
// The `roster` command. It runs the compiled CLI; `npm ci` builds it (the prepare script).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('main.js')) {
    console.error('roster: the CLI is not built yet; run `npm run build` first');
    process.exit(2);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
