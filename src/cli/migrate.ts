import { loadConfig } from '../config.js';
import { connect } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { ENVIRONMENT_HELP, parseOptions, print, printHelp, type Command } from './command.js';

export const migrateCommand: Command = {
  help: `Usage: roster migrate

Applies the migrations the database does not have yet, then exits. \`roster serve\` does this
at start too, so running it by hand is only needed before a rolling upgrade.

${ENVIRONMENT_HELP}`,

  async run(args) {
    const options = parseOptions(args, {});
    if (options.help) return printHelp(this.help);
    const db = connect(loadConfig().database);
    try {
      const applied = await migrate(db);
      print(
        applied.length > 0
          ? `Applied ${applied.length} migration(s): ${applied.join(', ')}`
          : 'The database is up to date.',
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
