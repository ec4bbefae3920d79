import { describe, expect, it } from 'vitest';
import { commandBlocks, documentationFiles, parseCommandBlocks } from '../../scripts/lib/doc-blocks.mjs';

// What `npm run smoke` runs and `npm run lint` checks: the command blocks of the README and docs/.
describe('the command blocks of the documentation', () => {
  it('when a shell block follows <!-- smoke -->, then it is run, blank lines between them or not', () => {
    const blocks = parseCommandBlocks('Intro\n\n<!-- smoke -->\n\n```bash\necho one\necho two\n```\n');
    expect(blocks).toEqual([
      { line: 5, language: 'bash', code: 'echo one\necho two', marker: 'run', skipReason: undefined },
    ]);
  });

  it('when a shell block follows <!-- smoke: skip (reason) -->, then it is shown only, with its reason', () => {
    const [block] = parseCommandBlocks(
      '<!-- smoke: skip (needs Docker) -->\n```sh\ndocker compose up\n```\n',
    );
    expect(block).toMatchObject({ marker: 'skip', skipReason: 'needs Docker' });
  });

  it('when a shell block has no mark, or a skip without a reason, then it is reported unmarked', () => {
    const blocks = parseCommandBlocks(
      'Text\n```bash\nnpm start\n```\n<!-- smoke: skip -->\n```shell\nnpm test\n```\n',
    );
    expect(blocks.map((block) => block.marker)).toEqual([undefined, undefined]);
  });

  it('when blocks are text, json, yaml or mermaid, or a shell fence sits inside a longer fence, then they are not commands', () => {
    const markdown = [
      '```text\nnpm start prints this\n```',
      '```json\n{}\n```',
      '````markdown\n<!-- smoke -->\n```bash\nrm -rf /\n```\n````',
      '```mermaid\nflowchart LR\n```',
    ].join('\n\n');
    expect(parseCommandBlocks(markdown)).toEqual([]);
  });

  it('when the README and the guides are read, then every command block is marked and some run', () => {
    const files = documentationFiles();
    expect(files[0]).toBe('README.md');
    expect(files).toContain('docs/api.md');
    const blocks = files.flatMap((file) => commandBlocks(file).map((block) => ({ file, ...block })));
    expect(blocks.filter((block) => block.marker === undefined)).toEqual([]);
    expect(blocks.filter((block) => block.marker === 'run').length).toBeGreaterThanOrEqual(10);
  });
});
