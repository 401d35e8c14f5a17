import { spawn } from 'node:child_process';

/** How a command ended, and what it printed. */
export interface CommandRun {
  code: number | null;
  stdout: string;
  /** stdout and stderr as they came, interleaved. */
  output: string;
  milliseconds: number;
}

/** Runs a command to its end, collecting what it prints; rejects only when it cannot start. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, output, milliseconds: performance.now() - started });
    });
  });
}
