/**
 * Node's parseArgs explains a bad command line in a paragraph meant for
 * another program's users (with a quote left open). Our commands say it
 * in one line that names the option, and point at --help.
 */

/** One line for an error thrown by node:util's parseArgs, or null if it is not one of its errors. */
export function parseArgsErrorLine(e: unknown, command: string): string | null {
  const { code, message } = e as { code?: string; message?: string };
  const option = /'(-{1,2}[^' <]+)/.exec(message ?? '')?.[1] ?? 'an option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option} (${command} --help lists the options)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message ?? '') ? `${option} takes no value` : `${option} wants a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument (${command} --help shows the usage)`;
    default:
      return null;
  }
}
