import { accountIdFrom } from '../accounts/service.js';
import { describeFinding } from '../audit/rules.js';
import { verifyAuditLog } from '../audit/service.js';
import { encodeId } from '../http/global-id.js';
import {
  ENVIRONMENT_HELP,
  parseOptions,
  print,
  printHelp,
  printJson,
  UsageError,
  type Command,
} from './command.js';
import { withDeps } from './deps.js';

const VERIFY_HELP = `Usage: roster audit verify [--account-id ACCOUNT_ID] [--json]

Walks the audit log's hash chain of every account (or of one) and reports every entry that was
altered, removed or reordered in the database since it was written. Exit code 0 when every chain
is intact, 1 when one is not.

Each entry carries the hash of the entry before it in its account; the chain's head (its last
entry and hash) and where retention cut it are kept per account. The head's hash printed here
can be kept elsewhere: a later head that does not continue it shows a rewritten history.

Options:
  --account-id ACCOUNT_ID    only this account (its account_id, as roster bootstrap prints it)
  --json                     print one JSON object per account, and nothing else
  -h, --help                 show this help

${ENVIRONMENT_HELP}`;

export const auditCommand: Command = {
  help: `Usage: roster audit <subcommand> [options]

Subcommands:
  verify    check that no audit entry was altered, removed or reordered

Run roster audit verify --help for its options.`,

  async run(args) {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
      print(this.help);
      return subcommand === undefined ? 2 : 0;
    }
    if (subcommand !== 'verify') {
      throw new UsageError(`unknown subcommand "audit ${subcommand}"; try roster audit --help`);
    }
    const options = parseOptions(rest, {
      'account-id': { type: 'string' },
      json: { type: 'boolean' },
    });
    if (options.help) return printHelp(VERIFY_HELP);
    const accountId =
      options['account-id'] !== undefined ? accountIdFrom(options['account-id']) : undefined;
    const reports = await withDeps((deps) => verifyAuditLog(deps.db, accountId));
    const entryId = (id: string) => encodeId('AuditLog', id);
    for (const report of reports) {
      const account = encodeId('Account', report.accountId);
      const problems = report.findings.map((finding) => describeFinding(finding, entryId));
      if (options.json) {
        printJson({
          account_id: account,
          intact: problems.length === 0,
          entries: report.entries,
          first_seq: report.prunedSeq + 1,
          head_seq: report.headSeq,
          head_hash: report.headHash,
          findings: report.findings.map((finding, i) => ({ ...finding, message: problems[i] })),
        });
        continue;
      }
      const range = `${report.entries} entries, seq ${report.prunedSeq + 1} to ${report.headSeq}`;
      if (problems.length === 0) {
        print(`account ${account}: intact (${range}; head ${report.headHash})`);
      } else {
        print(`account ${account}: BROKEN (${range}; head ${report.headHash})`);
        for (const problem of problems) print(`  ${problem}`);
      }
    }
    if (reports.length === 0 && !options.json) print('No audit entries yet.');
    return reports.some((report) => report.findings.length > 0) ? 1 : 0;
  },
};
