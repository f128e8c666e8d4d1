import { describe, expect, it } from 'vitest';
import { firstCollision, imageNameKey, imageNameProblem } from './image-names.js';

describe('image names', () => {
  it('accepts plain names of .png files, Unicode letters included', () => {
    for (const name of ['digit-0.png', 'a.PNG', 'Ziffer ä (1).png', '数字.png', '.hidden.png', 'con-tour.png', 'nul_.png', `${'x'.repeat(251)}.png`])
      expect(imageNameProblem(name)).toBeNull();
  });

  it('refuses anything that is not one plain file name on every system', () => {
    const cases: [unknown, RegExp][] = [
      ['../victim.png', /path separator \("\/"\)/],
      ['/etc/x.png', /path separator/],
      ['a\\b.png', /path separator \("\\\\"\)/],
      ['..', /not a file name/],
      ['.', /not a file name/],
      ['', /not a file name/],
      ['C:x.png', /holds ":", which Windows does not allow/],
      ['x.png:stream', /holds ":"/],
      ['a*.png', /holds "\*"/],
      ['x\u0000.png', /invisible or control character U\+0000/],
      ['x\n.png', /U\+000A/],
      ['\u001b[31mx.png', /U\+001B/],
      ['\u202Egnp.exe.png', /U\+202E/],
      ['a\u00A0b.png', /U\+00A0/],
      ['\uD800x.png', /U\+D800/],
      [' x.png', /starts or ends with a space/],
      ['x.png ', /starts or ends with a space/],
      ['x.png.', /not the name of a \.png file/],
      ['x.txt', /not the name of a \.png file/],
      ['.png', /not the name of a \.png file/],
      ['CON.png', /"CON", a device name that Windows reserves/],
      ['nul.png', /device name/],
      ['Com1.tar.png', /device name/],
      ['lpt9 .png', /device name/],
      ['COM¹.png', /device name/],
      [`${'x'.repeat(252)}.png`, /256 bytes long; a file name has at most 255/],
      [`${'é'.repeat(126)}.png`, /256 bytes long/],
      [5, /is 5, not a string/],
      [null, /is null, not a string/],
      [undefined, /is missing, not a string/],
    ];
    for (const [name, problem] of cases) expect(imageNameProblem(name), String(name)).toMatch(problem);
  });

  it('finds names that are one file on a case-insensitive or normalising file system', () => {
    expect(firstCollision(['a.png', 'b.png', 'c.png'])).toBeNull();
    expect(firstCollision(['a.png', 'b.png', 'a.png'])).toEqual([0, 2]);
    expect(firstCollision(['Digit.png', 'b.png', 'DIGIT.PNG'])).toEqual([0, 2]);
    expect(firstCollision(['\u00e9.png', 'e\u0301.png'])).toEqual([0, 1]); // é precomposed, and e + combining acute
    expect(firstCollision(['\uFF21.png', 'a.png'])).toEqual([0, 1]); // full-width A
    expect(firstCollision(['straße.png', 'STRASSE.png'])).toEqual([0, 1]);
    expect(imageNameKey('Digit-0.PNG')).toBe('digit-0.png');
  });
});
