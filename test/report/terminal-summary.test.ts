import { describe, expect, test } from 'vitest';
import { formatVerifyResult } from '../../lambda/store/verify-summary.ts';
import { printable } from '../../lambda/text.ts';

describe('printable: text from input as the terminal may show it', () => {
  test.each([
    ['a newline that would start a forged line', 'prod\nerror: forged', 'prod?error: forged'],
    ['a carriage return that would overwrite the line', 'ok\rerror', 'ok?error'],
    ['ANSI colour and cursor escapes', '\u001b[31mred\u001b[2K', '?[31mred?[2K'],
    ['a title-setting OSC ended by BEL', '\u001b]0;owned\u0007', '?]0;owned?'],
    ['C1 controls and DEL', 'a\u009bb\u007fc', 'a?b?c'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a?b?c'],
    [
      'bidirectional overrides that reorder what is read',
      'evil\u202eexe.txt\u2066x\u2069',
      'evil?exe.txt?x?',
    ],
  ])('%s', (_, input, shown) => {
    expect(printable(input)).toBe(shown);
  });

  test('ordinary text, accents, scripts and emoji stay as they are', () => {
    const text = 'Cluster prod-eu · Zürich 東京 ✅ kube-system/fluentd-7d9f';
    expect(printable(text)).toBe(text);
  });
});

describe('verify output', () => {
  test('values read from the store are printable', () => {
    const { out } = formatVerifyResult(
      {
        location: 'store\u001b[2J',
        runs: [
          { runId: '20261122T030000Z-abcdef', intact: true, artifacts: 4, generatedAt: '2026\n\u001b[31m' },
        ],
        problems: [],
        unchained: ['x\ny'],
        publishing: 'run\u001b[2K',
      },
      { quiet: false },
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(out.join('')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
