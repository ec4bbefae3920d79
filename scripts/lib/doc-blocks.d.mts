// Types of doc-blocks.mjs (plain JavaScript, as npm run smoke and npm run lint run it) for the
// tests that check the documentation's command blocks.

/** The repository root. */
export const ROOT: string;

/** One fenced command block (bash, sh, shell, zsh, console) of a Markdown file. */
export interface CommandBlock {
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  /** The commands, without the fences. */
  code: string;
  /** `run`: after `<!-- smoke -->`; `skip`: after `<!-- smoke: skip (reason) -->`; else unmarked. */
  marker: 'run' | 'skip' | undefined;
  skipReason: string | undefined;
}

/** README.md, then every docs/*.md by name, relative to the root: the order smoke runs them in. */
export function documentationFiles(): string[];

/** The command blocks of one file, its path relative to the root. */
export function commandBlocks(file: string): CommandBlock[];

/** The command blocks of Markdown text, in order. */
export function parseCommandBlocks(markdown: string): CommandBlock[];
