// npm run workflow-cloud:account -- <command> [...]
// What an operator does to workflow-cloud accounts, workflows and AI apps, on the database
// npm start uses (DATABASE_URL, else a SQLite file under DATA_DIR).
import { readFileSync } from 'node:fs';
import type { ComfyPrompt } from '../src/comfyui/client.ts';
import type { Db, Plan } from '../src/workflow-cloud/database.ts';
import type { Operators } from '../src/workflow-cloud/operators.ts';

const usage = `usage: npm run workflow-cloud:account -- <command>
  add <name> <plan> [--coins N] [--money-cents N] [--currency CNY] [--concurrency N]
      [--instances N --until DATE]      open an account (plan: free, shared, exclusive or
                                        enterprise) and print its id and a first key; an
                                        enterprise has --money-cents (in --currency, CNY by
                                        default), the others --coins; --instances and --until
                                        give it an exclusive membership
  key <account-id> [--expires DATE]     issue another key (an enterprise's lasts a year unless
                                        --expires says otherwise); it is shown only now
  revoke <key>                          revoke a key (802 from then on)
  close <account-id>                    close an account (806 for its keys from then on)
  top-up <account-id> <amount>          add coins, or cents for an enterprise
  exclusive <account-id> <instances> <until DATE>
                                        set its exclusive machines and the end of its membership
  workflow <account-id> <name> <file.json> [--cost N] [--public] [--ran]
                                        save a ComfyUI API-format workflow (cost 10 by default)
                                        and print its id; the API runs it only once it ran on
                                        the platform (--ran, or the ran command)
  ran <workflow-id>                     record that a workflow ran once on the platform
  app <name> <file.json> [--cost N]     put an AI app on the platform (cost 10 by default) and
                                        print its id
  help                                  print this
DATE is ISO 8601: 2026-12-31 (midnight UTC) or 2026-12-31T18:00:00+08:00.`;

const defaultCost = 10;
const plans: readonly Plan[] = ['free', 'shared', 'exclusive', 'enterprise'];

/** A mistake in the command line: told in one line, exit 2, before the database is opened. */
class UsageError extends Error {}

/** The command line after the command: its words, and its options by name. */
interface Arguments {
  words: string[];
  options: Map<string, string | true>;
}

/** A command: the words it takes, its options, and what it does once they are checked. */
interface Command {
  words: string[];
  /** Options followed by a value (`--coins 10` or `--coins=10`). */
  values?: string[];
  /** Options on their own (`--public`). */
  flags?: string[];
  /** Checks the arguments, then gives what to do on the database, which returns what to print. */
  prepare(args: Arguments): (operators: Operators, db: Db) => Promise<string>;
}

function parseArguments(spec: Command, argv: string[]): Arguments {
  const words: string[] = [];
  const options = new Map<string, string | true>();
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (argument === '--') {
      // Whatever follows is words, even a name that starts with --.
      words.push(...argv.slice(index + 1));
      break;
    }
    if (!argument.startsWith('--')) {
      words.push(argument);
      continue;
    }
    const [name, inline] = splitOption(argument.slice(2));
    if (spec.flags?.includes(name)) {
      if (inline !== undefined) {
        throw new UsageError(`--${name} takes no value`);
      }
      options.set(name, true);
    } else if (spec.values?.includes(name)) {
      const value = inline ?? argv[++index];
      if (value === undefined || value === '') {
        throw new UsageError(`--${name} needs a value`);
      }
      options.set(name, value);
    } else {
      throw new UsageError(`no option --${name}`);
    }
  }
  if (words.length !== spec.words.length) {
    const missing = spec.words[words.length];
    throw new UsageError(
      missing
        ? `missing <${missing}>`
        : `takes ${spec.words.length} arguments, not ${words.length}: ${spec.words.map((word) => `<${word}>`).join(' ')}`,
    );
  }
  return { words, options };
}

function splitOption(option: string): [string, string | undefined] {
  const equals = option.indexOf('=');
  return equals < 0 ? [option, undefined] : [option.slice(0, equals), option.slice(equals + 1)];
}

/** A whole number, at least `least` (0 or 1). */
function whole(what: string, value: string, least = 0): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < least) {
    throw new UsageError(
      `${what} must be a ${least > 0 ? 'positive' : 'non-negative'} whole number, not ${value}`,
    );
  }
  return number;
}

/** An ISO 8601 date, or a time with its zone, as the ISO string the database compares. */
function isoDate(what: string, value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.exec(
    value,
  );
  const date = new Date(value);
  const [year, month, day] = (match ?? []).slice(1, 4).map(Number);
  // A day past its month's end (2026-02-30) parses to another day, or not at all.
  const calendar = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0));
  if (
    !match ||
    Number.isNaN(date.getTime()) ||
    calendar.getUTCMonth() !== (month ?? 0) - 1 ||
    calendar.getUTCDate() !== day
  ) {
    throw new UsageError(`${what} must be an ISO date like 2026-12-31, not ${value}`);
  }
  return date.toISOString();
}

function text(what: string, value: string): string {
  if (value.trim() === '') {
    throw new UsageError(`${what} must not be empty`);
  }
  return value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A ComfyUI API-format workflow read from `file`: nodes by id, each with class_type and inputs. */
function readPrompt(file: string): ComfyPrompt {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `no file ${file}`
        : `cannot read ${file}: ${error instanceof Error ? error.message : error}`,
    );
  }
  let prompt: unknown;
  try {
    prompt = JSON.parse(content);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${error instanceof Error ? error.message : error}`);
  }
  if (!isObject(prompt)) {
    throw new UsageError(`${file} must hold an object of nodes by id`);
  }
  if (Array.isArray(prompt.nodes) && 'links' in prompt) {
    throw new UsageError(
      `${file} is a ComfyUI UI-format workflow; export it with Save (API Format) instead`,
    );
  }
  const nodes = Object.entries(prompt);
  if (nodes.length === 0) {
    throw new UsageError(`${file} has no nodes`);
  }
  for (const [id, node] of nodes) {
    if (!isObject(node)) {
      throw new UsageError(`${file}: node ${id} must be an object with class_type and inputs`);
    }
    if (typeof node.class_type !== 'string' || node.class_type === '') {
      throw new UsageError(`${file}: node ${id} has no class_type`);
    }
    if (!isObject(node.inputs)) {
      throw new UsageError(`${file}: node ${id} has no inputs object`);
    }
  }
  return prompt as ComfyPrompt;
}

const option = (args: Arguments, name: string) => {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : undefined;
};

/** An account that exists (or `accountOf` throws) and is not closed. */
async function openAccount(operators: Operators, accountId: string) {
  const account = await operators.accountOf(accountId);
  if (account.closed_at !== null) {
    throw new Error(`account ${accountId} was closed at ${account.closed_at}`);
  }
  return account;
}

const commands: Record<string, Command> = {
  add: {
    words: ['name', 'plan'],
    values: ['coins', 'money-cents', 'currency', 'concurrency', 'instances', 'until'],
    prepare(args) {
      const [rawName, plan] = args.words as [string, string];
      const name = text('name', rawName);
      if (!plans.includes(plan as Plan)) {
        throw new UsageError(`plan must be one of ${plans.join(', ')}, not ${plan}`);
      }
      const enterprise = plan === 'enterprise';
      for (const wallet of enterprise ? ['coins'] : ['money-cents', 'currency']) {
        if (args.options.has(wallet)) {
          throw new UsageError(
            `--${wallet} is for ${enterprise ? 'the other plans' : 'an enterprise'}, not ${plan}`,
          );
        }
      }
      const number = (name: string, least = 0) => {
        const value = option(args, name);
        return value === undefined ? undefined : whole(`--${name}`, value, least);
      };
      const currency = option(args, 'currency');
      if (currency !== undefined && !/^[A-Z]{3}$/.test(currency)) {
        throw new UsageError(`--currency must be a code like CNY, not ${currency}`);
      }
      const instances = number('instances', 1);
      const until = option(args, 'until');
      if ((instances === undefined) !== (until === undefined)) {
        throw new UsageError('--instances and --until go together');
      }
      const account = {
        name,
        plan: plan as Plan,
        coins: number('coins'),
        moneyCents: number('money-cents'),
        currency,
        concurrency: number('concurrency'),
        instances,
        exclusiveUntil: until === undefined ? undefined : isoDate('--until', until),
      };
      return async (operators, db) => {
        const taken = await db
          .selectFrom('accounts')
          .select('id')
          .where('name', '=', name)
          .executeTakeFirst();
        if (taken) {
          throw new Error(`an account named ${name} exists: ${taken.id}`);
        }
        const id = (await operators.addAccount(account)) as string;
        const key = await operators.issueKey(id);
        return `account ${id}\nkey ${key}`;
      };
    },
  },

  key: {
    words: ['account-id'],
    values: ['expires'],
    prepare(args) {
      const [accountId] = args.words as [string];
      const expires = option(args, 'expires');
      const expiresAt = expires === undefined ? undefined : isoDate('--expires', expires);
      return async (operators) => {
        await openAccount(operators, accountId);
        return `key ${await operators.issueKey(accountId, { expiresAt })}`;
      };
    },
  },

  revoke: {
    words: ['key'],
    prepare(args) {
      const [key] = args.words as [string];
      return async (operators) => {
        if (!(await operators.revokeKey(key))) {
          throw new Error('no such key, or it was revoked already');
        }
        return `revoked ${key.slice(0, 6)}…`;
      };
    },
  },

  close: {
    words: ['account-id'],
    prepare(args) {
      const [accountId] = args.words as [string];
      return async (operators) => {
        await openAccount(operators, accountId);
        await operators.closeAccount(accountId);
        return `closed ${accountId}`;
      };
    },
  },

  'top-up': {
    words: ['account-id', 'amount'],
    prepare(args) {
      const [accountId, rawAmount] = args.words as [string, string];
      const amount = whole('amount', rawAmount, 1);
      return async (operators) => {
        await openAccount(operators, accountId);
        await operators.topUp(accountId, amount);
        const account = await openAccount(operators, accountId);
        return account.plan === 'enterprise'
          ? `${accountId}: ${account.money_cents} cents of ${account.currency}`
          : `${accountId}: ${account.coins} coins`;
      };
    },
  },

  exclusive: {
    words: ['account-id', 'instances', 'until'],
    prepare(args) {
      const [accountId, rawInstances, rawUntil] = args.words as [string, string, string];
      const instances = whole('instances', rawInstances, 1);
      const until = isoDate('until', rawUntil);
      return async (operators) => {
        await openAccount(operators, accountId);
        await operators.setExclusive(accountId, instances, until);
        return `${accountId}: ${instances} exclusive instances until ${until}`;
      };
    },
  },

  workflow: {
    words: ['account-id', 'name', 'file.json'],
    values: ['cost'],
    flags: ['public', 'ran'],
    prepare(args) {
      const [accountId, rawName, file] = args.words as [string, string, string];
      const name = text('name', rawName);
      const cost = option(args, 'cost');
      const workflow = {
        name,
        prompt: readPrompt(file),
        cost: cost === undefined ? defaultCost : whole('--cost', cost),
        public: args.options.has('public'),
        ran: args.options.has('ran'),
      };
      return async (operators) => {
        await openAccount(operators, accountId);
        return `workflow ${await operators.addWorkflow(accountId, workflow)}`;
      };
    },
  },

  ran: {
    words: ['workflow-id'],
    prepare(args) {
      const [workflowId] = args.words as [string];
      return async (operators, db) => {
        const workflow = await db
          .selectFrom('workflows')
          .select('ran_at')
          .where('id', '=', workflowId)
          .executeTakeFirst();
        if (!workflow) {
          throw new Error(`no workflow ${workflowId}`);
        }
        if (workflow.ran_at !== null) {
          return `workflow ${workflowId} ran already, at ${workflow.ran_at}`;
        }
        await operators.markRun(workflowId);
        return `workflow ${workflowId} ran: the API runs it now`;
      };
    },
  },

  app: {
    words: ['name', 'file.json'],
    values: ['cost'],
    prepare(args) {
      const [rawName, file] = args.words as [string, string];
      const name = text('name', rawName);
      const cost = option(args, 'cost');
      const webapp = {
        name,
        prompt: readPrompt(file),
        cost: cost === undefined ? defaultCost : whole('--cost', cost),
      };
      return async (operators, db) => {
        const taken = await db
          .selectFrom('webapps')
          .select('id')
          .where('name', '=', name)
          .executeTakeFirst();
        if (taken) {
          throw new Error(`an app named ${name} exists: ${taken.id}`);
        }
        return `webapp ${await operators.addWebapp(webapp)}`;
      };
    },
  },
};

const [command, ...argv] = process.argv.slice(2);
if (command === 'help' || command === '--help' || command === '-h') {
  console.log(usage);
  process.exit(0);
}
if (!command) {
  console.error(usage);
  process.exit(2);
}

// Checked before the database is opened, so a mistyped command creates nothing.
let action: (operators: Operators, db: Db) => Promise<string>;
const spec = Object.hasOwn(commands, command) ? commands[command] : undefined;
if (!spec) {
  console.error(`unknown command ${command}; see npm run workflow-cloud:account -- help`);
  process.exit(2);
}
try {
  action = spec.prepare(parseArguments(spec, argv));
} catch (error) {
  if (!(error instanceof UsageError)) {
    throw error;
  }
  console.error(`${command}: ${error.message}`);
  process.exit(2);
}

// Loaded only now, so that help and usage errors answer at once.
const [
  { systemClock },
  { workflowCloudConfig },
  { openWorkflowCloudDatabase },
  { createOperators },
] = await Promise.all([
  import('../src/platform/clock.ts'),
  import('../src/workflow-cloud/config.ts'),
  import('../src/workflow-cloud/migrations.ts'),
  import('../src/workflow-cloud/operators.ts'),
]);
let db: Db | undefined;
try {
  db = await openWorkflowCloudDatabase(workflowCloudConfig(process.env).database);
  console.log(await action(createOperators(db, systemClock), db));
} catch (error) {
  console.error(`${command}: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await db?.destroy();
}
