/** One thing wrong with a config file, at a field path like `model_list[0].rpm`. */
export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
}

/**
 * A config file that cannot be used. The message names the file, and for
 * each problem the field path, the line and what is wrong, e.g.
 * `config.yaml: model_list[0].rpm (line 7): expected an integer, got "fast"`.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(formatProblems(file, problems));
  }
}

function formatProblems(file: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const where = p.path === "" ? "(root)" : p.path;
    const line = p.line === undefined ? "" : ` (line ${p.line})`;
    return `${file}: ${where}${line}: ${p.message}`;
  });
  return lines.join("\n");
}
