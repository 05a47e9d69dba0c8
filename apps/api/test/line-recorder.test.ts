import { describe, expect, it } from 'vitest';
import { LineRecorder } from '../src/terminal-hub';

describe('the terminal line recorder (what goes to the logs)', () => {
  it('rebuilds typed lines: backspace, Ctrl+C, Ctrl+U, arrows and bracketed paste', () => {
    const r = new LineRecorder();
    expect(r.feed('ls sx\x7frc\r')).toEqual(['ls src']);
    expect(r.feed('rm -rf /\x03npm test')).toEqual([]);
    expect(r.feed('\r')).toEqual(['npm test']);
    expect(r.feed('junk\x15echo hi\x1b[A\x1b[D\x1bOP\r')).toEqual(['echo hi']);
    expect(r.feed('\x1b[200~node -e "1"\x1b[201~\r')).toEqual(['node -e "1"']);
    expect(r.feed('   \r\r')).toEqual([]);
    expect(r.feed('a\rb\n')).toEqual(['a', 'b']);
  });
});
